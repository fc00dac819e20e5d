"""Live feed: stored events are published to the local Mosquitto broker."""

from __future__ import annotations

import json
import socket
import threading
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from aggregator_helpers import FakeClock, database_url, make_events
from conftest import make_client


def _broker_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 1883), timeout=1):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not _broker_up(), reason="no MQTT broker (Mosquitto) at 127.0.0.1:1883")
def test_stored_events_are_published_per_gate(tmp_path: Path) -> None:
    received: list[dict] = []
    got = threading.Event()
    subscriber = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    subscribed = threading.Event()
    subscriber.on_connect = lambda c, *_: c.subscribe("aggtest/+/event", qos=1)
    subscriber.on_subscribe = lambda *_: subscribed.set()

    def on_message(_client, _userdata, message) -> None:  # type: ignore[no-untyped-def]
        received.append(json.loads(message.payload))
        if len(received) >= 3:
            got.set()

    subscriber.on_message = on_message
    subscriber.connect("127.0.0.1", 1883)
    subscriber.loop_start()
    try:
        assert subscribed.wait(5)
        with database_url("sqlite", tmp_path) as url:
            client = make_client(url, tmp_path, FakeClock(),
                                 mqtt_url="mqtt://127.0.0.1:1883/aggtest")
            credential = client.app.state.services.register_gate("g1")
            client.post("/api/v1/ingest/events",
                        json={"gate_id": "g1", "events": make_events("g1", 3)},
                        headers={"Authorization": f"Bearer {credential}"})
            assert got.wait(10)
            client.app.state.services.close()
    finally:
        subscriber.loop_stop()
        subscriber.disconnect()
    assert [e["sequence"] for e in received] == [1, 2, 3]
    assert all(e["gate_id"] == "g1" and "display_name" not in e for e in received)
