from tests.factories import create_event


def test_create_and_read_timeline(client, tokens):
    event = create_event(client, tokens.editor)
    response = client.get("/api/v1/timelines/RU-IN")
    assert response.status_code == 200
    assert [item["id"] for item in response.get_json()["items"]] == [event["id"]]
