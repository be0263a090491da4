"""What an SMS costs: GSM-7 or UCS-2, and how many segments."""

from __future__ import annotations

from messaging.rendering import sms_segments, sms_warning
from messaging.rendering.context import sample_context
from messaging.rendering.defaults import SMS_MILESTONES, default_content
from messaging.rendering.environment import check_text_env
from messaging.rendering.sms import Segments


def test_an_empty_message_costs_nothing():
    assert sms_segments("") == Segments("GSM-7", 0, 0)


def test_160_gsm_characters_fit_one_segment_and_161_need_two():
    assert sms_segments("a" * 160) == Segments("GSM-7", 1, 160)
    assert sms_segments("a" * 161) == Segments("GSM-7", 2, 161)


def test_long_gsm_messages_are_split_in_153_character_segments():
    assert sms_segments("a" * 306).segments == 2
    assert sms_segments("a" * 307).segments == 3


def test_extension_characters_count_twice():
    assert sms_segments("€" * 80) == Segments("GSM-7", 1, 160)
    assert sms_segments("[" * 81).segments == 2


def test_an_escaped_pair_is_never_split_across_segments():
    # 152 plain characters then "€": 154 septets would fit two segments of 153 only if the
    # escape and the euro could be split, which they cannot.
    text = "a" * 152 + "€" + "a" * 152
    assert sms_segments(text).length == 306
    assert sms_segments(text).segments == 3


def test_umlauts_and_some_accents_are_gsm7_but_a_circumflex_is_not():
    assert sms_segments("Grüße aus München, à demain, señor").encoding == "GSM-7"
    assert sms_segments("à bientôt").encoding == "UCS-2"


def test_one_emoji_or_curly_quote_turns_the_message_into_ucs2():
    assert sms_segments("It’s here").encoding == "UCS-2"
    assert sms_segments("a" * 70) == Segments("GSM-7", 1, 70)
    assert sms_segments("á" * 70) == Segments("UCS-2", 1, 70)
    assert sms_segments("á" * 71).segments == 2
    assert sms_segments("á" * 134).segments == 2
    assert sms_segments("á" * 135).segments == 3


def test_an_emoji_counts_two_units_and_is_never_split():
    assert sms_segments("📦") == Segments("UCS-2", 1, 2)
    assert sms_segments("a" * 66 + "📦" + "a" * 10).segments == 2


def test_a_one_segment_message_has_no_warning():
    assert sms_warning("Your parcel arrives today.") is None


def test_a_longer_message_warns_and_names_the_characters_forcing_ucs2():
    warning = sms_warning("It’s on its way! " * 5)
    assert "2 SMS segments" in warning
    assert "’" in warning


def test_every_default_sms_is_gsm7_and_fits_one_segment_with_sample_data():
    for milestone in SMS_MILESTONES:
        for locale in ("en", "de", "fr", "es"):
            body = default_content(milestone, "sms", locale)["body"]
            text = check_text_env.from_string(body).render(
                sample_context(locale=locale, milestone=milestone))
            counted = sms_segments(text)
            assert counted.encoding == "GSM-7", (milestone, locale, text)
            assert counted.segments == 1, (milestone, locale, text, counted)
