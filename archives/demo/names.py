"""Word lists for the demo city: a Yanbian-like city where about a third of residents are Korean."""

CITY_NAME = "龙井市"
# GB/T 2260 code of Longjing, Jilin: the first six digits of locally issued ID numbers.
REGION_CODES = ["222405", "222405", "222405", "222401", "222403", "220102"]

STREET_NAMES = ["安民街道", "龙门街道", "北山街道", "东盛街道", "海兰街道", "开山屯街道"]
COMMUNITY_STEMS = [
    "龙泉",
    "海兰",
    "六道",
    "光新",
    "东山",
    "西城",
    "南山",
    "北安",
    "新华",
    "和平",
    "兴安",
    "文化",
    "长安",
    "金达莱",
    "民惠",
    "丰收",
    "青年",
    "明东",
    "朝阳",
    "泉水",
    "富民",
    "琵岩",
    "太平",
    "幸福",
    "向阳",
    "红旗",
    "春兴",
    "永安",
    "德新",
    "东兴",
]
ROAD_NAMES = [
    "龙门路",
    "安民街",
    "新华路",
    "海兰江路",
    "站前街",
    "光明路",
    "和平街",
    "东山路",
    "西市场街",
    "民主路",
    "胜利街",
    "建设路",
    "文化街",
    "长白路",
    "延边路",
    "南环路",
]

HAN_SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏"
    "薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易"
    "常武乔贺赖龚文"
)
KOREAN_SURNAMES = "金李朴崔郑姜赵尹张林韩申吴徐权黄安宋全洪柳高文梁孙裴白许南沈卢河玄俞"
GIVEN_NAME_CHARS = (
    "伟芳娜秀敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉建国海波宁凤洁梅琳雪"
    "丹浩宇晨欣怡子涵梓轩博文佳琪思源雨萱俊熙成哲贤珠顺姬善美花春日永哲光浩昌锡东植允智秀贞惠"
    "敏浩晓彤喆堃燊玥珺昇"
)

MEDICAL_CONDITIONS = ["高血压", "糖尿病", "冠心病", "慢性支气管炎", "脑梗后遗症", "关节炎", "哮喘"]
VISIT_NOTES = [
    "入户走访，了解家庭近况",
    "老人身体状况良好",
    "提醒注意用电安全",
    "宣传防诈骗知识",
    "协助办理医保续费",
    "家中无人，电话联系",
    "了解就业需求",
    "送达社区活动通知",
]

# (code, name, visits needed per month, share of residents carrying it; ``None`` = set by rule)
TAGS = [
    ("elderly-alone", "独居老人", 2, None),
    ("empty-nest", "空巢老人", 2, None),
    ("working-away", "外出务工", 0, 0.06),
    ("disabled", "残疾", 1, 0.02),
    ("low-income", "低保", 1, 0.03),
    ("chronic-illness", "慢性病", 1, None),
    ("vacant-home", "空房", 0, None),
    ("key-care", "重点关注", 2, 0.01),
]

# (code, name, tags served, whether its staff read medical history)
DEPARTMENTS = [
    ("health", "卫健局", ["chronic-illness", "disabled"], True),
    ("civil-affairs", "民政局", ["elderly-alone", "empty-nest", "low-income"], False),
    ("agriculture", "农业农村局", ["working-away"], False),
    ("public-security", "公安局", ["key-care"], False),
    ("housing", "住建局", ["vacant-home"], False),
]
