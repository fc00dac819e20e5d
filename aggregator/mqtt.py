"""Optional live feed of events and alarms to an MQTT broker (Home-Assistant friendly).

Topics (``<prefix>`` defaults to ``gate``; see docs/aggregator.md):

- ``<prefix>/<gate_id>/event``          every stored event (JSON, no names), QoS 1
- ``<prefix>/<gate_id>/last_decision``  ``granted``/``denied``, retained (an HA sensor state)
- ``<prefix>/<gate_id>/alarm``          alarms of that gate (JSON), QoS 1
- ``homeassistant/sensor/<prefix>_<gate_id>_last_decision/config``  HA discovery, retained

Publishing never blocks ingest: paho queues messages and its network thread sends them.
"""

from __future__ import annotations

import json
import logging
from urllib.parse import urlparse

import paho.mqtt.client as mqtt

from wire.schemas import WireEvent

logger = logging.getLogger(__name__)


class MqttPublisher:
    """A connected paho client with a background network loop."""

    def __init__(self, host: str, port: int = 1883, prefix: str = "gate",
                 username: str | None = None, password: str | None = None) -> None:
        self.prefix = prefix.strip("/") or "gate"
        self._client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2,
                                   client_id=f"aggregator-{id(self):x}")
        if username:
            self._client.username_pw_set(username, password)
        self._announced: set[str] = set()
        self._client.connect_async(host, port, keepalive=30)
        self._client.loop_start()

    @classmethod
    def from_url(cls, url: str) -> MqttPublisher:
        """``mqtt://[user:pass@]host[:port][/prefix]``."""
        parts = urlparse(url)
        if parts.scheme != "mqtt" or not parts.hostname:
            raise ValueError("mqtt_url must look like mqtt://host:1883/prefix")
        return cls(parts.hostname, parts.port or 1883, parts.path or "gate",
                   parts.username, parts.password)

    def publish_events(self, events: list[WireEvent]) -> None:
        for event in events:
            self._announce(event.gate_id)
            payload = {
                "event_id": event.event_id, "gate_id": event.gate_id,
                "sequence": event.sequence, "occurred_at": event.occurred_at,
                "type": event.type, "decision": event.decision, "reason": event.reason,
                "person_id": event.subject,
            }
            self._client.publish(f"{self.prefix}/{event.gate_id}/event", json.dumps(payload),
                                 qos=1)
            if event.decision is not None:
                self._client.publish(f"{self.prefix}/{event.gate_id}/last_decision",
                                     event.decision, qos=1, retain=True)

    def publish_alarm(self, gate_id: str | None, kind: str, event_id: str | None) -> None:
        topic = f"{self.prefix}/{gate_id or 'aggregator'}/alarm"
        self._client.publish(topic, json.dumps({"kind": kind, "gate_id": gate_id,
                                                "event_id": event_id}), qos=1)

    def _announce(self, gate_id: str) -> None:
        if gate_id in self._announced:
            return
        self._announced.add(gate_id)
        unique = f"{self.prefix}_{gate_id}_last_decision".replace("-", "_").replace(".", "_")
        config = {
            "name": f"{gate_id} last decision", "unique_id": unique,
            "state_topic": f"{self.prefix}/{gate_id}/last_decision",
            "icon": "mdi:door", "device": {"identifiers": [f"{self.prefix}_{gate_id}"],
                                            "name": f"Gate {gate_id}"},
        }
        self._client.publish(f"homeassistant/sensor/{unique}/config", json.dumps(config),
                             qos=1, retain=True)

    def close(self) -> None:
        self._client.loop_stop()
        self._client.disconnect()
