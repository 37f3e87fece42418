"""Situations told at length that point to one topic of the base (`intents/stories.py`)."""

from __future__ import annotations

import pytest
from conftest import ChatClient

from intents.stories import story_topic

pytestmark = pytest.mark.wording


@pytest.mark.parametrize(("text", "topic"), [
    ("уронила телефон в озеро, телефон высох, а симка больше не читается. номер можно сохранить?", "sim-replacement"),
    ("телефон перестал видеть симку, пишет нет сим-карты", "sim-replacement"),
    ("new phone only takes a nano sim and mine is the old big one", "sim-replacement"),
    ("my dad's phone keeps saying invalid SIM, can it be swapped", "sim-replacement"),
    ("у дедушки старый кнопочный телефон, он жмёт цифры в меню, а ничего не происходит", "tone-dialling"),
    ("calling from our office desk phone and the menu ignores every key I press", "tone-dialling"),
    ("переезжаю за границу насовсем, на счёте осталось 900 рублей, можно их вернуть?", "refund"),
    ("closing my number, there's about 700 rubles on it, can I get the money back?", "refund"),
    ("верните мне деньги с баланса, надоели, ухожу", "refund"),
    ("хочу вернуть свои 1500 с баланса и уйти от вас", "refund"),
    ("Уезжаю насовсем, хочу закрыть номер и забрать оставшиеся на счету 800 рублей. Как это сделать?", "refund"),
    ("можно забрать остаток денег с номера, если я его закрываю?", "refund"),
    ("В салоне отказались отдать деньги со счёта, сказали «это не к нам». Так куда мне с этим идти?", "refund"),
    ("how do i get my $$ back off the account, leaving russia", "refund"),
    ("I want take back money from my number, I go home to Vietnam forever. Where I can do it?", "refund"),
    ("my balance is zero and I have to call the school right now, what can I do?", "do-promised-payment"),
    ("на счету минус 50, а мне срочно надо позвонить маме", "do-promised-payment"),
    ("can i link my daughter's number to my account and top her up from there", "lk-profile"),
    ("хочу из своего кабинета управлять номером мамы", "lk-profile"),
    ("жена хочет чтобы её номер был как-то привязан к моему, чтобы я видел её траты и мог кидать ей деньги", "lk-profile"),
    ("how do I update the e-mail my bills are sent to", "lk-profile"),
    ("внук ушёл в армию, телефон оставил мне. хочу чтобы номер был на меня", "change-owner"),
    ("как переписать симку мужа на себя", "change-owner"),
    ("dad passed away, how do I get his number put in my name", "change-owner"),
    ("брат хочет номер себе взять, я уеду домой. как переделать на брата номер??", "change-owner"),
    ("хочу перевести номер на мужа", "change-owner"),
    ("номер мужа оформлен на меня, а он хочет чтобы номер был на нём, как это сделать", "change-owner"),
    ("my brother uses my sim now, how do we make the number officially his", "change-owner"),
    ("can i sign my number over to my sister", "change-owner"),
    ("дочь давно пользуется моей симкой, хочу чтобы номер стал официально её", "change-owner"),
    ("телефон упал, и симку в нём переломило пополам. номер бы сохранить", "sim-replacement"),
    ("симка старого формата в новый телефон не лезет. где поменять на нано чтобы номер тот же остался", "sim-replacement"),
    ("как поменять обычную симку на есим и сохранить номер", "sim-replacement"),
    ("минус на балансе, а мне нужно позвонить тренеру. что делать?", "do-promised-payment"),
    ("у меня минус на балансе, как мне маме позвонить?", "do-promised-payment"),
    ("can i get like a loan on my balance? broke till friday", "do-promised-payment"),
    ("i have no bank card here, only cash, and phone say minus. can i take money before and pay after when i get cash??",
     "do-promised-payment"),
    ("в автобусе вытащили телефон вместе с симкой, боюсь что с номера будут просить деньги", "lost-sim"),
    ("my phone got stolen at the station last night, what now", "lost-sim"),
    ("как заблокировать симку, если украли телефон", "do-block-sim"),  # the block asked for: the block itself
    ("can u put 300 on my gf's number from my card", "do-top-up"),
    ("And can my wife add money to my number from her side?", "do-top-up"),
    ("как закинуть 500 на номер мамы", "do-top-up"),
    ("какая-то подписка снимает по 15 руб в день, как её убрать?", "do-disconnect-service"),
    ("some subscription keeps charging me 10 rubles a day, how do i cancel it", "do-disconnect-service"),
    ("как убрать эти платные штуки, я вообще не помню что у меня там понаподключено", "do-disconnect-service"),
    ("йоу как вырубить эту хрень подписку которая каждый день по 10 рэ снимает", "do-disconnect-service"),
    ("my gf is on tele2 too, can i send money from my card to her phone", "do-top-up"),
    ("can i get back whats left on my acc if im leaving russia for good", "refund"),
    ("is there a way to make it refill itself every month so i stop forgetting lol", "lk-autopay"),
    ("Я егерь, телефон с симкой утонул в болоте. Как мне потом номер вернуть?", "sim-replacement"),
    ("оставила телефон в такси, как заблокировать симку пока никто не воспользовался", "do-block-sim"),
    ("забыл телефон в электричке, что теперь делать", "lost-sim"),
    ("left my phone in a taxi last night, how do i stop someone using my sim", "lost-sim"),

])
def test_a_situation_points_to_its_topic(text: str, topic: str) -> None:
    assert story_topic(text) == topic


@pytest.mark.parametrize("text", [
    "How long can a number stay unused before you take it back?",  # the number, not money
    "можно вернуть старый тариф?",
    "списали 500 рублей непонятно за что, верните деньги на счёт",  # a charge disputed: checked, not refunded
    "на счету минус 200, что это за списания",  # money gone, nothing to call
    "как пополнить маме счёт с моей карты",  # a top-up of another number, not the profile
    "Нужна справка, что номер оформлен на меня, для суда",  # whose it is, told: nothing to change
    "the shop says I need my husband there even though the number is in MY name",
    "брат помоги симка не работает звонить нельзя",  # the line not working: checked, not a new SIM
    "как перевести деньги маме",
    "оставил телефон дома, как позвонить в поддержку с чужого",  # left at home: not lost
    "you charged 300 to my number for nothing, put it back on my balance",  # a charge disputed: checked
    "какая-то подписка снимает по 15 руб в день, откуда она?",  # where it came from: nothing to take off asked
])
def test_other_situations_point_nowhere(text: str) -> None:
    assert story_topic(text) is None


async def test_a_drowned_sim_told_at_length_gets_the_sim_replacement(bot: ChatClient) -> None:
    out = await bot.say("короче, в выходные были на рыбалке, я уронил телефон в воду вместе с симкой 🤦 телефон новый "
                        "купил, а симки нет. номер жалко, на нём банк. как его вернуть и что взять с собой?")
    assert out.intent == "sim-replacement", out.text


async def test_money_gone_unspent_is_checked_not_left_unanswered(bot: ChatClient) -> None:
    out = await bot.say("на счету минус 200, а я ничего не тратил, что делать")
    assert out.action == "diagnose", out.text


def test_a_sim_told_of_at_length_before_it_broke_is_replaced() -> None:
    """Words of the SIM's history between it and what happened to it ("симка старая, ещё с 2010 года, треснула")."""
    assert story_topic("Моя симка очень старая, ещё с 2010 года, треснула пополам, можно заменить?") == "sim-replacement"


@pytest.mark.parametrize("text", [
    "мама всё время забывает класть деньги на телефон, можно сделать, чтобы с карты само списывалось?",
    "каждый месяц хожу в магазин закидывать деньги на номер, надоело, есть способ проще?",
    "I always forget to top up and get cut off, can it just take the money from my card?",
    "можно как-то, чтобы деньги сами закидывались с карты, когда кончаются?",
])
def test_money_wanted_to_go_onto_the_number_by_itself_is_the_autopayment(text: str) -> None:
    assert story_topic(text) == "lk-autopay"


async def test_a_story_of_ours_is_no_other_subject(bot: ChatClient) -> None:
    """A long story that names a clinic and a taxi, then asks for money to go onto the number by itself: the
    autopayment, not "I only answer questions about Tele2"."""
    out = await bot.say("Постоянно забываю пополнять, вчера в поликлинике осталась без связи, даже такси не вызвать. "
                        "Дочь говорит, можно сделать, чтобы само списывалось с карты. Как это настроить?")
    assert out.intent in ("lk-autopay", "do-autopay") or out.action == "autopay", out.text


async def test_a_situation_told_in_exasperation_is_still_answered(bot: ChatClient) -> None:
    """Fed up with a menu that does not hear a rotary phone: the situation's answer (tone dialling),
    with the empathetic line and the operator at hand, not the operator alone."""
    out = await bot.say("У бабушки дисковый аппарат, меню её вообще не слышит, уже час мучаемся, это издевательство!!!")
    assert out.intent == "tone-dialling", out.text
    assert "operator" in [b.payload for r in out.replies for b in r.buttons]


@pytest.mark.parametrize("text", ["somebody got into my tele2 account and changed my password, help",
                                  "кто-то зашёл в мой личный кабинет и поменял почту",
                                  "взломали мой личный кабинет теле2, что делать"])
async def test_someone_else_in_ones_account_is_its_security(bot: ChatClient, text: str) -> None:
    """The story replaces an unsure reading of the same part of the base ("…поменял почту" read as the profile) and
    the account's front page."""
    out = await bot.say(text)
    assert out.intent == "lk-security" or out.action == "block_sim", out.text


async def test_a_hacked_social_network_page_is_still_not_ours(bot: ChatClient) -> None:
    out = await bot.say("взломали страницу вконтакте, помогите восстановить")
    assert out.intent != "lk-security" and out.action is None, out.text



async def test_a_family_number_wanted_in_ones_own_account_is_the_profile_however_it_reads(bot: ChatClient) -> None:
    """Its words read as the change of owner ("registered to me"); what is asked is the profile's "my numbers"."""
    out = await bot.say("I work nights and my son (15) uses a Tele2 number registered to me. I'd like to add his number to my "
                        "account to keep an eye on it, where do I do that?")
    assert out.intent == "lk-profile", out.text


async def test_money_wanted_on_the_number_by_itself_with_the_balance_running_out_is_the_autopayment(bot: ChatClient) -> None:
    out = await bot.say("Вопрос такой: мне надо чтобы деньги на телефон сами падали, в город я езжу раз в месяц, а если "
                        "баланс кончится — останусь совсем без связи. Можно так настроить с карты?")
    assert out.intent == "lk-autopay", out.text


@pytest.mark.parametrize("text", ["у меня минус на балансе, как позвонить?", "минус на балансе что делать",
                                  "hello i am wrestler from mongolia, training in ulan ude. coach say i must have money on "
                                  "phone for sms to my family. i have no bank card here, only cash, and phone say minus. can i "
                                  "take money before and pay after when i get cash??",
                                  "can i get like a loan on my balance? broke till friday 😅"])
async def test_a_minus_known_and_a_call_to_make_is_the_promised_payment_not_the_balance(bot: ChatClient, text: str) -> None:
    out = await bot.say(text)
    assert out.action == "promised_payment", out.text


@pytest.mark.parametrize("text", ["оставила телефон в такси, как заблокировать симку пока никто не воспользовался",
                                  "Украли сумку с телефоном прямо в офисе! Пишу с рабочего компьютера. Как быстрее всего "
                                  "заблокировать симку??"])
async def test_a_phone_lost_or_stolen_with_the_block_asked_is_the_block(bot: ChatClient, text: str) -> None:
    out = await bot.say(text)
    assert out.action == "block_sim" or out.intent == "lost-sim", out.text  # (the block, or what to do, block first)


async def test_a_subscription_that_takes_money_to_be_gone_is_disconnected(bot: ChatClient) -> None:
    out = await bot.say("kakaya-to podpiska snimaet po 15 rub v den', kak eyo ubrat'?")
    assert out.action == "disconnect_service" or out.intent in ("lk-services", "do-services"), out.text


@pytest.mark.parametrize("text", ["put 300 on my number", "can u put 300 on my gf's number from my card",
                                  "my gf is on tele2 too, can i send money from my card to her phone"])
async def test_money_to_put_on_a_number_said_with_its_sum_is_the_top_up(bot: ChatClient, text: str) -> None:
    out = await bot.say(text)
    assert out.action == "top_up", out.text


async def test_a_stolen_phone_told_at_length_gets_the_way_to_block_the_sim(bot: ChatClient) -> None:
    assert (await bot.say("как заблокировать симку, если украли телефон")).intent == "lk-security"  # asked: how
    out = await bot.say("Простите, что беспокою. Вчера в автобусе у меня из сумки вытащили телефон вместе с симкой. Боюсь, "
                        "что с моего номера начнут просить у знакомых денег. Как быстрее её закрыть, подскажите")
    assert out.intent in ("lost-sim", "lk-security", "do-block-sim"), out.text


async def test_a_sim_handed_on_is_a_change_of_owner_not_a_lost_sim(bot: ChatClient) -> None:
    out = await bot.say("my brother uses my sim now, how do we make the number officially his")
    assert out.intent in ("change-owner", "service-centers"), out.text


@pytest.mark.parametrize("text", ["add my son's number to my account", "хочу привязать номер дочки к своему личному кабинету"])
async def test_a_number_added_to_ones_account_is_the_profile_however_it_reads_as_a_top_up(bot: ChatClient, text: str) -> None:
    out = await bot.say(text)
    assert out.intent == "lk-profile", out.text
    other = ChatClient(bot.runtime, user="u2")  # money put on it is still the top-up
    assert (await other.say("top up my son's number from my card")).action == "top_up"
