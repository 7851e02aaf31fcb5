"""Every step of a wish, by whom it is allowed, and every refusal: a clear message and nothing
changed (the tables, their history and the media directory read the same before and after)."""

import io
import pathlib

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests import factories
from tests.wishes.factories import make_category, wanted_by
from wishes import selectors, services
from wishes.models import (
    Claim,
    Claimer,
    ClaimerStatus,
    ClaimState,
    Wish,
    WishCategory,
    WishPhoto,
    WishState,
)

# -- helpers ------------------------------------------------------------------------------


def jpeg(size=(64, 48)) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format="JPEG")
    return SimpleUploadedFile("photo.jpg", out.getvalue(), content_type="image/jpeg")


def not_a_photo() -> SimpleUploadedFile:
    return SimpleUploadedFile("wish.jpg", b"<script>alert(1)</script>", content_type="image/jpeg")


def snapshot(media: pathlib.Path) -> dict:
    """Everything a step could change: the rows, their history and the stored files."""
    tables = {}
    for model in (Wish, Claim, WishPhoto, Claimer, WishCategory):
        tables[model.__name__] = list(model.objects.order_by("pk").values())
        history = getattr(model, "history", None)
        if history is not None:
            tables[f"{model.__name__} history"] = list(
                history.model.objects.order_by("history_id").values()
            )
    tables["files"] = sorted(str(p) for p in media.rglob("*")) if media.exists() else []
    return tables


@pytest.fixture
def unchanged(tmp_path):
    """``with unchanged(ExcType, "message part"):`` the block raises and changes nothing."""

    class Unchanged:
        def __init__(self, error, message=""):
            self.error, self.message = error, message

        def __enter__(self):
            self.before = snapshot(tmp_path / "media")
            self.raises = pytest.raises(self.error)
            self.info = self.raises.__enter__()
            return self.info

        def __exit__(self, *exc):
            suppressed = self.raises.__exit__(*exc)
            text = (
                " ".join(self.info.value.messages)
                if hasattr(self.info.value, "messages")
                else (str(self.info.value))
            )
            assert self.message in text, text
            assert snapshot(tmp_path / "media") == self.before
            return suppressed

    return Unchanged


def claimed(city, user=None):
    wish = city.post()
    claim = services.wish_claim(actor=user or city.volunteer, wish=wish)
    return wish, claim


def done(city, user=None):
    wish, claim = claimed(city, user)
    claim = services.claim_fulfil(actor=user or city.volunteer, claim=claim, note="已清理完毕")
    return wish, claim


def fresh(row):
    return type(row).objects.get(pk=row.pk)


def last_history(row):
    entry = row.history.order_by("-history_id").first()
    return entry.history_user, entry.history_change_reason


# -- posting, editing, withdrawing --------------------------------------------------------


def test_community_staff_post_an_open_wish_with_its_photo_and_history(city, tmp_path):
    resident = factories.make_resident(grid=city.grid, name="张建国")
    wish = city.post(resident=resident, photos=[jpeg()])
    wish = fresh(wish)
    assert wish.state == WishState.OPEN
    assert wish.posted_by == city.staff
    assert wish.version == 0
    assert last_history(wish) == (city.staff, "发布心愿")
    photo = wish.photos.get()
    assert photo.claim is None and photo.uploaded_by == city.staff
    assert (tmp_path / "media" / photo.image.name).exists()
    assert selectors.wish_actions(city.staff, wish) == ["edit", "withdraw"]


def test_staff_of_one_community_cannot_post_in_another(city, unchanged):
    with unchanged(PermissionDenied, "无权在"):
        city.post(community=city.neighbour, actor=city.staff)


@pytest.mark.parametrize("who", ["street_official", "municipal", "volunteer", "housing_staff"])
def test_those_who_only_follow_or_claim_wishes_cannot_post(city, unchanged, who):
    with unchanged(PermissionDenied):
        city.post(actor=getattr(city, who))


def test_a_wish_in_a_category_no_longer_in_use_is_refused(city, unchanged):
    old = make_category("old", "旧类别", 3)
    old.active = False
    old.save()
    with unchanged(ValidationError, "已停用"):
        city.post(category=old)


def test_a_wish_wanted_by_a_date_already_past_is_refused(city, unchanged):
    with unchanged(ValidationError, "期望完成日期已过"):
        city.post(wanted_by=wanted_by(-1))


def test_a_resident_of_another_community_is_refused(city, unchanged):
    stranger = factories.make_resident(grid=city.far.grids.get(), name="王芳")
    with unchanged(ValidationError, "不住在"):
        city.post(resident=stranger)


def test_a_wish_without_description_is_refused(city, unchanged):
    with unchanged(ValidationError, "请描述心愿内容"):
        city.post(description="   ")


def test_a_file_that_is_not_a_photo_refuses_the_wish_and_keeps_no_file(city, unchanged):
    with unchanged(ValidationError, "wish.jpg"):
        city.post(photos=[jpeg(), not_a_photo()])


def test_more_photos_than_allowed_are_refused(city, unchanged, settings):
    settings.WISH_PHOTOS_PER_STEP = 2
    with unchanged(ValidationError, "最多上传2张"):
        city.post(photos=[jpeg(), jpeg(), jpeg()])


def test_staff_edit_an_open_wish_and_the_history_says_who_and_why(city):
    wish = city.post()
    edited = services.wish_edit(
        actor=city.staff, wish=wish, version=0, reason="居民补充说明", title="清理车棚杂物"
    )
    assert fresh(edited).title == "清理车棚杂物"
    assert fresh(edited).version == 1
    assert last_history(fresh(edited)) == (city.staff, "修改: 居民补充说明")


def test_an_edit_on_an_older_version_is_refused(city, unchanged):
    wish = city.post()
    services.wish_edit(actor=city.staff, wish=wish, version=0, reason="", place="2号楼")
    with unchanged(ValidationError, "其他人对它进行了操作"):
        services.wish_edit(actor=city.staff, wish=wish, version=0, reason="", place="3号楼")


def test_a_claimed_wish_can_no_longer_be_edited(city, unchanged):
    wish, _claim = claimed(city)
    with unchanged(ValidationError, "已被认领：不能再修改"):
        services.wish_edit(actor=city.staff, wish=wish, version=1, reason="", title="改")
    assert "edit" not in selectors.wish_actions(city.staff, fresh(wish))


def test_staff_of_another_community_cannot_edit_or_withdraw(city, unchanged):
    wish = city.post()
    with unchanged(PermissionDenied, "不在您的管辖范围内"):
        services.wish_edit(actor=city.neighbour_staff, wish=wish, version=0, reason="", title="x")
    with unchanged(PermissionDenied, "不在您的管辖范围内"):
        services.wish_withdraw(actor=city.neighbour_staff, wish=wish, version=0, reason="重复")


def test_the_street_follows_a_wish_but_cannot_edit_it(city, unchanged):
    wish = city.post()
    with unchanged(PermissionDenied, "只有"):
        services.wish_edit(actor=city.street_official, wish=wish, version=0, reason="", title="x")
    assert selectors.wish_actions(city.street_official, wish) == []


def test_staff_withdraw_an_open_wish_with_a_reason(city):
    wish = city.post()
    services.wish_withdraw(actor=city.staff, wish=wish, version=0, reason="居民已自行解决")
    wish = fresh(wish)
    assert wish.state == WishState.WITHDRAWN
    assert wish.withdraw_reason == "居民已自行解决"
    assert wish.withdrawn_at is not None
    assert last_history(wish) == (city.staff, "撤回心愿: 居民已自行解决")
    assert selectors.wish_actions(city.staff, wish) == []
    assert selectors.wish_actions(city.volunteer, wish) == []


def test_withdrawing_a_claimed_wish_ends_its_claim(city):
    wish, claim = claimed(city)
    services.wish_withdraw(actor=city.staff, wish=wish, version=1, reason="居民搬走了")
    claim = fresh(claim)
    assert claim.state == ClaimState.WITHDRAWN
    assert claim.withdraw_reason == "居民搬走了"
    assert last_history(claim) == (city.staff, "撤回心愿: 居民搬走了")
    assert fresh(wish).state == WishState.WITHDRAWN


def test_withdrawing_needs_a_reason(city, unchanged):
    wish = city.post()
    with unchanged(ValidationError, "请填写撤回心愿的原因"):
        services.wish_withdraw(actor=city.staff, wish=wish, version=0, reason="  ")


def test_a_wish_marked_done_is_confirmed_or_returned_not_withdrawn(city, unchanged):
    wish, _claim = done(city)
    with unchanged(ValidationError, "请确认或退回"):
        services.wish_withdraw(actor=city.staff, wish=wish, version=2, reason="算了")


def test_nothing_can_be_done_on_a_withdrawn_wish(city, unchanged):
    wish = city.post()
    services.wish_withdraw(actor=city.staff, wish=wish, version=0, reason="重复发布")
    with unchanged(ValidationError, "已撤回"):
        services.wish_edit(actor=city.staff, wish=wish, version=1, reason="", title="x")
    with unchanged(ValidationError, "不在待认领状态"):
        services.wish_claim(actor=city.volunteer, wish=wish)


# -- claiming -----------------------------------------------------------------------------


def test_an_approved_volunteer_claims_an_open_wish(city):
    wish = city.post()
    assert selectors.wish_actions(city.volunteer, wish) == ["claim"]
    claim = services.wish_claim(actor=city.volunteer, wish=wish)
    assert claim.claimer == city.claimer(city.volunteer)
    assert claim.department is None
    assert claim.state == ClaimState.CLAIMED
    wish = fresh(wish)
    assert wish.state == WishState.CLAIMED and wish.claimed_at == claim.claimed_at
    assert wish.version == 1
    assert last_history(wish) == (city.volunteer, "认领")
    assert last_history(fresh(claim)) == (city.volunteer, "认领")
    assert selectors.wish_actions(city.volunteer, wish) == ["withdraw_claim", "fulfil"]
    assert selectors.wish_actions(city.staff, wish) == ["withdraw"]


def test_a_department_claimer_claims_for_the_department(city):
    _wish, claim = claimed(city, city.housing_staff)
    assert claim.department == city.housing
    assert claim.claimer.user == city.housing_staff


def test_a_party_member_claims_for_himself(city):
    _wish, claim = claimed(city, city.party_member)
    assert claim.department is None


def test_a_claimed_wish_cannot_be_claimed_again(city, unchanged):
    wish, _claim = claimed(city)
    with unchanged(ValidationError, "该心愿已被认领"):
        services.wish_claim(actor=city.party_member, wish=wish)
    assert selectors.wish_actions(city.party_member, fresh(wish)) == []


@pytest.mark.parametrize(
    ("who", "message"),
    [
        ("pending", "等待社区审核"),
        ("suspended", "已被暂停"),
        ("refused", "未获通过"),
        ("outsider", "尚未登记为认领人"),
        ("staff", "无权认领"),
        ("street_official", "无权认领"),
    ],
)
def test_only_an_approved_claimer_may_claim(city, unchanged, who, message):
    wish = city.post()
    with unchanged(PermissionDenied, message):
        services.wish_claim(actor=getattr(city, who), wish=wish)
    assert "claim" not in selectors.wish_actions(getattr(city, who), wish)


def test_the_claimer_withdraws_the_claim_and_the_wish_is_open_again(city):
    wish, claim = claimed(city)
    services.claim_withdraw(actor=city.volunteer, claim=claim, reason="临时出差")
    claim = fresh(claim)
    assert claim.state == ClaimState.WITHDRAWN
    assert claim.withdraw_reason == "临时出差"
    assert last_history(claim) == (city.volunteer, "放弃认领: 临时出差")
    wish = fresh(wish)
    assert wish.state == WishState.OPEN and wish.claimed_at is None
    # Someone else may claim it now.
    again = services.wish_claim(actor=city.party_member, wish=wish)
    assert fresh(wish).state == WishState.CLAIMED
    assert again.claimer.user == city.party_member


def test_withdrawing_a_claim_needs_a_reason(city, unchanged):
    _wish, claim = claimed(city)
    with unchanged(ValidationError, "放弃认领的原因"):
        services.claim_withdraw(actor=city.volunteer, claim=claim, reason="")


@pytest.mark.parametrize("who", ["party_member", "staff"])
def test_only_the_claimer_withdraws_the_claim(city, unchanged, who):
    _wish, claim = claimed(city)
    with unchanged(PermissionDenied):
        services.claim_withdraw(actor=getattr(city, who), claim=claim, reason="代他放弃")


def test_a_withdrawn_claim_cannot_be_acted_on(city, unchanged):
    _wish, claim = claimed(city)
    services.claim_withdraw(actor=city.volunteer, claim=claim, reason="没时间")
    with unchanged(ValidationError, "没有进行中的认领"):
        services.claim_fulfil(actor=city.party_member, claim=claim, note="做了")
    with unchanged(ValidationError, "没有进行中的认领"):
        services.claim_fulfil(actor=city.volunteer, claim=claim, note="做了")


# -- marking done, confirming, returning --------------------------------------------------


def test_the_claimer_marks_it_done_with_a_note_and_photos(city, tmp_path):
    wish, claim = claimed(city)
    claim = services.claim_fulfil(
        actor=city.volunteer, claim=claim, note="已清理完毕", photos=[jpeg(), jpeg()]
    )
    claim = fresh(claim)
    assert claim.state == ClaimState.DONE
    assert claim.done_note == "已清理完毕" and claim.done_at is not None
    assert last_history(claim) == (city.volunteer, "标记完成: 已清理完毕")
    assert fresh(wish).state == WishState.DONE
    photos = list(claim.photos.all())
    assert len(photos) == 2 and all(p.wish_id == wish.pk for p in photos)
    assert all((tmp_path / "media" / p.image.name).exists() for p in photos)
    assert selectors.wish_actions(city.volunteer, fresh(wish)) == []
    assert selectors.wish_actions(city.staff, fresh(wish)) == ["confirm", "return"]


def test_marking_done_needs_a_note(city, unchanged):
    _wish, claim = claimed(city)
    with unchanged(ValidationError, "请填写完成情况"):
        services.claim_fulfil(actor=city.volunteer, claim=claim, note=" ")


def test_photos_that_are_not_images_refuse_marking_done(city, unchanged):
    _wish, claim = claimed(city)
    with unchanged(ValidationError, "wish.jpg"):
        services.claim_fulfil(
            actor=city.volunteer, claim=claim, note="完成", photos=[jpeg(), not_a_photo()]
        )


def test_another_claimer_cannot_mark_it_done(city, unchanged):
    _wish, claim = claimed(city)
    with unchanged(PermissionDenied, "不在您的管辖范围内"):
        services.claim_fulfil(actor=city.party_member, claim=claim, note="我做的")


def test_a_suspended_claimer_cannot_mark_done(city, unchanged):
    _wish, claim = claimed(city)
    Claimer.objects.filter(user=city.volunteer).update(status=ClaimerStatus.SUSPENDED)
    with unchanged(PermissionDenied, "已被暂停"):
        services.claim_fulfil(actor=city.volunteer, claim=claim, note="完成")


def test_a_suspended_claimer_may_still_give_the_wish_back(city):
    wish, claim = claimed(city)
    Claimer.objects.filter(user=city.volunteer).update(status=ClaimerStatus.SUSPENDED)
    assert selectors.wish_actions(city.volunteer, fresh(wish)) == ["withdraw_claim"]
    services.claim_withdraw(actor=city.volunteer, claim=claim, reason="资格暂停")
    assert fresh(wish).state == WishState.OPEN


def test_a_claim_marked_done_cannot_be_marked_again_or_withdrawn(city, unchanged):
    _wish, claim = done(city)
    with unchanged(ValidationError, "等待社区确认"):
        services.claim_fulfil(actor=city.volunteer, claim=claim, note="再次完成")
    with unchanged(ValidationError, "等待社区确认"):
        services.claim_withdraw(actor=city.volunteer, claim=claim, reason="不做了")


def test_the_community_confirms_and_the_claim_keeps_the_category_points(city):
    wish, claim = done(city)
    claim = services.claim_confirm(actor=city.staff, claim=claim)
    claim = fresh(claim)
    assert claim.state == ClaimState.CONFIRMED
    assert claim.points == 5 and claim.confirmed_by == city.staff
    assert last_history(claim) == (city.staff, "确认完成")
    wish = fresh(wish)
    assert wish.state == WishState.FULFILLED and wish.fulfilled_at == claim.confirmed_at
    # A later change of the category's points does not rewrite the love bank.
    services.wish_category_save(actor=city.admin, category=city.category, reason="调整", points=8)
    assert fresh(claim).points == 5
    assert selectors.love_bank_of(city.claimer(city.volunteer))[0] == 5
    assert selectors.wish_actions(city.staff, wish) == []


def test_confirming_a_claim_not_yet_done_is_refused(city, unchanged):
    _wish, claim = claimed(city)
    with unchanged(ValidationError, "尚未标记此心愿完成"):
        services.claim_confirm(actor=city.staff, claim=claim)


def test_no_one_confirms_their_own_fulfilment(city, unchanged):
    _wish, claim = done(city, city.staff_claimer)
    with unchanged(ValidationError, "不能确认或退回自己的认领"):
        services.claim_confirm(actor=city.staff_claimer, claim=claim)
    with unchanged(ValidationError, "不能确认或退回自己的认领"):
        services.claim_return(actor=city.staff_claimer, claim=claim, reason="自己退回")
    # A colleague confirms it.
    services.claim_confirm(actor=city.staff, claim=claim)


@pytest.mark.parametrize(
    ("who", "error", "message"),
    [
        ("neighbour_staff", PermissionDenied, "不在您的管辖范围内"),
        ("street_official", PermissionDenied, "只有"),
        ("municipal", PermissionDenied, "只有"),
        ("party_member", PermissionDenied, "不在您的管辖范围内"),
    ],
)
def test_only_the_wish_communitys_staff_confirm_or_return(city, unchanged, who, error, message):
    _wish, claim = done(city)
    with unchanged(error, message):
        services.claim_confirm(actor=getattr(city, who), claim=claim)
    with unchanged(error, message):
        services.claim_return(actor=getattr(city, who), claim=claim, reason="不合格")


def test_the_city_administrator_may_confirm(city):
    _wish, claim = done(city)
    assert fresh(services.claim_confirm(actor=city.admin, claim=claim)).points == 5


def test_the_community_returns_it_with_a_reason_and_the_claimer_does_it_again(city):
    wish, claim = done(city)
    services.claim_return(actor=city.staff, claim=claim, reason="垃圾未清运")
    claim = fresh(claim)
    assert claim.state == ClaimState.CLAIMED and claim.returns == 1
    assert claim.done_at is None
    assert last_history(claim) == (city.staff, "退回: 垃圾未清运")
    assert fresh(wish).state == WishState.CLAIMED
    assert selectors.wish_actions(city.volunteer, fresh(wish)) == ["withdraw_claim", "fulfil"]
    services.claim_fulfil(actor=city.volunteer, claim=claim, note="已清运")
    services.claim_confirm(actor=city.staff, claim=claim)
    assert fresh(wish).state == WishState.FULFILLED
    assert fresh(claim).returns == 1


def test_returning_needs_a_reason(city, unchanged):
    _wish, claim = done(city)
    with unchanged(ValidationError, "请填写退回原因"):
        services.claim_return(actor=city.staff, claim=claim, reason="")


def test_nothing_can_be_done_on_a_fulfilled_wish(city, unchanged):
    wish, claim = done(city)
    services.claim_confirm(actor=city.staff, claim=claim)
    with unchanged(ValidationError, "已实现"):
        services.claim_return(actor=city.staff, claim=claim, reason="再看看")
    with unchanged(ValidationError, "已实现"):
        services.wish_withdraw(actor=city.staff, wish=wish, version=None, reason="撤回")
    with unchanged(ValidationError, "已实现"):
        services.claim_confirm(actor=city.staff, claim=claim)


def test_every_step_writes_the_wish_history_in_order(city):
    wish, claim = done(city)
    services.claim_return(actor=city.staff, claim=claim, reason="不合格")
    services.claim_fulfil(actor=city.volunteer, claim=claim, note="重新完成")
    services.claim_confirm(actor=city.staff, claim=claim)
    entries = [
        (e.history_user.username, e.history_change_reason, e.state, e.version)
        for e in fresh(wish).history.order_by("history_id")
    ]
    assert entries == [
        ("staff", "发布心愿", "open", 0),
        ("volunteer", "认领", "claimed", 1),
        ("volunteer", "标记完成: 已清理完毕", "done", 2),
        ("staff", "退回: 不合格", "claimed", 3),
        ("volunteer", "标记完成: 重新完成", "done", 4),
        ("staff", "确认完成", "fulfilled", 5),
    ]


# -- categories ---------------------------------------------------------------------------


def test_an_administrator_keeps_the_categories(city):
    category = services.wish_category_save(
        actor=city.admin, reason="新增", code="repair", name="维修", points=6
    )
    assert fresh(category).points == 6
    assert last_history(fresh(category)) == (city.admin, "新增")


def test_community_staff_cannot_change_the_categories(city, unchanged):
    with unchanged(PermissionDenied, "无权修改心愿类别"):
        services.wish_category_save(actor=city.staff, category=city.category, points=100)


def test_a_category_without_points_is_refused(city, unchanged):
    with unchanged(ValidationError):
        services.wish_category_save(actor=city.admin, code="zero", name="零分", points=0)


# -- the one rule ------------------------------------------------------------------------


def test_the_refusal_a_page_shows_is_the_one_a_service_raises(city):
    wish, _claim = claimed(city)
    wish = fresh(wish)
    message = selectors.wish_action_refusal(city.party_member, wish, "claim")
    assert message == "该心愿已被认领。"
    with pytest.raises(ValidationError) as refused:
        services.wish_claim(actor=city.party_member, wish=wish)
    assert refused.value.messages == [message]
    assert selectors.wish_action_refusal(city.volunteer, wish, "fulfil") is None


def test_an_unknown_action_is_a_programming_error(city):
    wish = city.post()
    with pytest.raises(ValueError):
        selectors.wish_action_refusal(city.staff, wish, "delete")


@pytest.mark.parametrize(
    ("name", "given"),
    [
        ("张建国", "建国"),
        ("李明", "明"),
        ("欧阳修文", "修文"),
        ("司马光", "光"),
        ("诸葛 亮", "亮"),
        ("买买提·艾力", "买买提"),
        ("John Smith", "John"),
        ("王", ""),
    ],
)
def test_a_claimer_sees_the_residents_given_name_only(city, name, given):
    resident = factories.make_resident(grid=city.grid, name=name)
    wish = city.post(resident=resident)
    assert selectors.resident_first_name(wish) == given


def test_a_wish_without_a_resident_names_no_one(city):
    assert selectors.resident_first_name(city.post()) == ""
