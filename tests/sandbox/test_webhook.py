"""The sandbox's webhook is the provider page's example, field for field and header for header."""

from voipdesk.sandbox import webhook

# From the provider's documentation page (reference/voipnumber-sms-mms.md), as printed there.
PAGE_BODY = {
    "status": "received",
    "from": "+447445459147",
    "to": "+447476553275",
    "type": "sms",
    "body": "text sent in SMS",
    "mdr_timestamp_s": 1716204585,
    "mdr_created": "20 May 2024 11:29:45",
    "mdr_id": "da84a7b1-1a80-4e96-885e-e719d5ec909c",
}
PAGE_HEADERS = {
    "Content-Type": "application/json",
    "Host": "api.voipnumber.net",
    "X-Forwarded-Port": "443",
    "X-Forwarded-Proto": "https",
}


def test_the_sandbox_builds_the_pages_example_body():
    doc = webhook.body(
        PAGE_BODY["from"],
        PAGE_BODY["to"],
        PAGE_BODY["body"],
        mdr_id=PAGE_BODY["mdr_id"],
        ts=PAGE_BODY["mdr_timestamp_s"],
    )
    assert doc == PAGE_BODY


def test_the_sandbox_sends_the_pages_headers():
    assert webhook.HEADERS == PAGE_HEADERS


def test_extra_fields_ride_along_for_mms():
    doc = webhook.body("+1", "+2", "", mdr_id="m", ts=0, kind="mms", media=["https://x/a.jpg"])
    assert doc["type"] == "mms" and doc["media"] == ["https://x/a.jpg"]
