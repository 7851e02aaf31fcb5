# Django's zh_Hans formats group no digits (THOUSAND_SEPARATOR is empty); Chinese statistical
# tables and government reports write 60,000. Everything else comes from Django's module.
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
