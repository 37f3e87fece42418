"""Which line of support a message asks for, whatever else its words resemble.

Read before the knowledge base's answer is taken (`dialogue.py`, `_decide`), each as a situation told:
- asking how to reach us while travelling, abroad or on the road at home → the roaming line;
- the support number for a call from a landline → the landline number (one whose keys the menu does not hear is
  tone dialling, a story of `stories.py`);
- how to get a live person on the phone → pressing 0 on 611;
- support wanted in writing instead of a call → the chat.
"""

from __future__ import annotations

import re

ROAMING_LINE = "roaming-support"  # the line for travellers, abroad and on the road at home alike
TRAVELLING = re.compile(r"разъезд\w*|в\s+дорог[еу]|командировк\w*|в\s+поездк\w*|путешеств\w*|на\s+вахт\w*|в\s+рейс\w*|"
                        r"дальнобо\w*|"
                        r"\btravel\w*|on\s+the\s+road|road\s+trip|business\s+trip", re.IGNORECASE)
# asking how to reach us ("who do I contact", "which number", "куда звонить", "как с вами связаться")
REACH_US = re.compile(
    r"(?:who|how|where)\s+(?:do|can|should|could)\s+i\s+(?:contact|call|reach|write|turn|get\s+(?:hold|in\s+touch))|"
    r"how\s+(?:do|can)\s+i\s+(?:contact|reach)\s+you|(?:what'?s|what\s+is)\s+(?:the|your)\s+(?:numb?e?r|numbr|phone)|"
    r"(?:which|what)\s+number|(?:call|contact|reach)\s+(?:tele\s?2|you|support)\b|"
    r"куда\s+(?:мне\s+)?(?:звонить|обращаться|писать|позвонить|обратиться|написать)|как\s+(?:с\s+вами\s+|мне\s+)?связаться|"
    r"(?:какой|на\s+какой)\s+номер|где\s+(?:\w+\s+)?номер\w*|номер\s+для\s+(?:\w+\s+)?путешественник\w*|(?:позвонить|дозвониться|написать)\s+(?:в\s+)?(?:теле\s?2|вам|поддержк\w*)",
    re.IGNORECASE)
# how to get through to us at all ("как до вас вообще дозвониться??", "how do I even reach you guys"): one of the ways to
# support, whichever the message reads closest to
REACH_YOU = re.compile(
    r"как\s+(?:же\s+|мне\s+|теперь\s+)?(?:до\s+вас|вам|к\s+вам)\s+(?:\w+\s+)?(?:дозвониться|достучаться|пробиться|дописаться|попасть)|"
    r"\bhow\s+(?:do|can|should|am)\s+i\s+(?:\w+\s+)?(?:supposed\s+to\s+)?(?:reach|get\s+through\s+to|get\s+hold\s+of|contact)\s+"
    r"(?:you|u)\b",
    re.IGNORECASE)
WAYS_TO_US = ("support-611", "cant-get-through", "operator-via-611", "wait-time")
LANDLINE_LINE = "support-landline"
FROM_LANDLINE = re.compile(
    r"(?:с|со|from)\s+(?:моего\s+|своего\s+|my\s+|a\s+|the\s+|our\s+|their\s+|his\s+|her\s+)?(?:\w+'s\s+|\w+(?:ого|его|ина|ова)\s+)?(?:домашн\w+|городск\w+|стационарн\w+|"
    r"рабоч\w+\s+(?:стационарн\w+|городск\w+)|landline|home\s+phone|house\s+phone|office\s+(?:landline|phone)|desk\s+phone)|"
    # the phone called from said to be one ("с телефона в храме — он у нас старый, стационарный", "у нас только
    # стационарный телефон")
    r"телефон\w*\s+[^.?!]{0,60}?стационарн\w*|(?<![а-я])стационарн\w*\s+(?:телефон|аппарат)\w*",
    re.IGNORECASE)
PERSON_BY_PHONE = "operator-via-611"
PHONE_PERSON = re.compile(
    r"(?:как|how)\b[^.?!]{0,40}?(?:позвонить|дозвониться|связаться|попасть|выйти|пробиться|достучаться|добраться|reach|get\s+through|get\s+hold|talk|"
    r"speak|call)\b[^.?!]{0,40}?(?:жив\w+\s+(?:человек\w*|оператор\w*|люд\w*|специалист\w*)|(?<![а-я])живого(?![а-я])|"
    r"\b(?:real|live|actual)\s+(?:person|human|agent|operator)|\ba\s+human\b)",
    re.IGNORECASE)
WRITTEN_LINE = "web-chat"  # support in writing: the chat (the social networks are named in its answer's buttons)
WRITE_NOT_CALL = re.compile(
    r"(?:написать|писать|пишу|напишу|письменно|в\s+письменном\s+виде|текстом|переписк\w*)\s*,?\s*(?:а\s+)?не\s+(?:звонить|"
    r"позвонить|голосом|по\s+телефону)|в\s+письменном\s+виде|только\s+(?:письменно|написать|писать|переписк\w*)|"
    r"(?:звонить|говорить|разговаривать)\s+(?:\w+\s+)?не\s+могу[^.!?]{0,80}(?:написать|писать|письменн|чат)|"
    r"(?:написать|писать|обратиться)\s+(?:\w+\s+){0,3}(?:вместо\s+(?:звонка|того\s+чтобы\s+звонить)|без\s+звонка)|"
    r"(?:write|text|message|chat)\s+(?:\w+\s+){0,3}instead\s+of\s+(?:calling|a\s+call|phoning|ringing)|"
    r"\bin\s+writing\b|\b(?:write|text|message)\s+(?:to\s+)?(?:you|u|support)\s+(?:guys\s+)?(?:somewhere\s+)?instead\b|"
    r"can'?t\s+(?:talk|speak|call)\b[^.!?]{0,80}\b(?:write|text|chat|in\s+writing)\b",
    re.IGNORECASE)
