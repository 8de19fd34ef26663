"""A short list of passwords too common to allow (lower case, compared case-insensitively).

Built for odahub from widely published breach-frequency lists; extend it, or plug in a larger list
through `passwords.check_policy(..., extra=...)`.
"""

from __future__ import annotations

COMMON_PASSWORDS = frozenset("""
123456 123456789 12345678 12345 1234567 1234567890 123123 111111 000000 654321 666666 121212
password password1 password12 password123 password1234 passw0rd p@ssw0rd p@ssword pa55word
qwerty qwerty123 qwertyuiop qwerty1234 1q2w3e4r 1q2w3e4r5t 1qaz2wsx zaq12wsx asdfghjkl asdfgh
abc123 abcd1234 iloveyou letmein letmein123 welcome welcome1 welcome123 welcome2024 admin
admin123 administrator root toor changeme changeme123 default guest test test123 testing123
monkey dragon football baseball master superman batman trustno1 sunshine princess shadow
michael jennifer jordan23 liverpool chelsea arsenal manchester starwars pokemon whatever
freedom secret secret123 summer2023 summer2024 winter2023 winter2024 spring2024 autumn2024
january february september december london london123 england england123 qazwsxedc
computer internet samsung google mypassword mypassword1 password!23 passwordpassword
iloveyou123 lovely loveme hello123 hellohello 1234qwer qwer1234 aaaaaaaa 11111111 88888888
87654321 12341234 00000000 abcdefgh abcdefg123 zxcvbnm zxcvbnm123 q1w2e3r4 q1w2e3r4t5y6
police police123 council council123 nhs123 health123 social123 hub123 odahub odahub123
correcthorsebatterystaple opensesame letmeinplease donotuse temporary temp1234 newpassword
""".split())
