"""Live feed: stored events are published to the local Mosquitto broker."""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
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



class _Listener:
    """A subscriber keeping the first message of each topic (retained ones included)."""

    def __init__(self, topics: list[str]) -> None:
        self.first: dict[str, bytes] = {}
        self._subscribed = threading.Event()
        self._client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
        self._client.on_connect = lambda c, *_: c.subscribe([(t, 1) for t in topics])
        self._client.on_subscribe = lambda *_: self._subscribed.set()
        self._client.on_message = lambda _c, _u, m: self.first.setdefault(m.topic, m.payload)
        self._client.connect("127.0.0.1", 1883)
        self._client.loop_start()
        assert self._subscribed.wait(5)

    def wait_for(self, topics: set[str], timeout_s: float = 10) -> None:
        deadline = time.monotonic() + timeout_s
        while not topics <= set(self.first) and time.monotonic() < deadline:
            time.sleep(0.05)

    def clear_retained(self, topics: set[str]) -> None:
        for topic in topics:
            self._client.publish(topic, b"", qos=1, retain=True).wait_for_publish(5)

    def close(self) -> None:
        self._client.loop_stop()
        self._client.disconnect()


@pytest.mark.skipif(not _broker_up(), reason="no MQTT broker (Mosquitto) at 127.0.0.1:1883")
def test_alarm_retained_last_decision_and_home_assistant_discovery_are_published(
        tmp_path: Path) -> None:
    prefix = f"aggtest{uuid.uuid4().hex[:8]}"  # retained messages of other runs stay out
    alarm, state = f"{prefix}/g1/alarm", f"{prefix}/g1/last_decision"
    discovery = f"homeassistant/sensor/{prefix}_g1_last_decision/config"
    listener = _Listener([alarm, state, discovery])
    events = make_events("g1", 1, type="door_forced", subject=None, decision=None, reason=None)
    events += make_events("g1", 1, first=2, prev=events[0]["hash"], decision="denied",
                          reason="denied_unknown_face")
    try:
        with database_url("sqlite", tmp_path) as url:
            client = make_client(url, tmp_path, FakeClock(),
                                 mqtt_url=f"mqtt://127.0.0.1:1883/{prefix}")
            credential = client.app.state.services.register_gate("g1")
            client.post("/api/v1/ingest/events", json={"gate_id": "g1", "events": events},
                        headers={"Authorization": f"Bearer {credential}"})
            listener.wait_for({alarm, state, discovery})
            client.app.state.services.close()
        # Retained: Home Assistant started later still finds the sensor and its state.
        late = _Listener([state, discovery])
        late.wait_for({state, discovery}, 5)
        late.clear_retained({state, discovery})
        late.close()
    finally:
        listener.close()
    assert json.loads(listener.first[alarm]) == {"kind": "door_forced", "gate_id": "g1",
                                                 "event_id": events[0]["event_id"]}
    assert json.loads(listener.first[discovery])["state_topic"] == state
    assert late.first == {state: b"denied", discovery: listener.first[discovery]}
