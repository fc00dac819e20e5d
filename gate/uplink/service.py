"""Start and stop a gate's uplink (event sender, snapshot uploader, directory sync) from config."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gate.config.uplink import UplinkConfig
from gate.directory.store import DirectoryStore
from gate.errors import ConfigError
from gate.eventlog.snapshots import SnapshotStore
from gate.eventlog.store import EventLog
from gate.sync.apply import ApplyReport
from gate.sync.puller import DirectorySync
from gate.uplink.client import AggregatorClient
from gate.uplink.sender import EventSender, SnapshotUploader
from gate.uplink.state import UplinkState

logger = logging.getLogger(__name__)


@dataclass
class Uplink:
    """The running uplink of one gate."""

    state: UplinkState
    client: AggregatorClient
    sender: EventSender
    snapshots: SnapshotUploader | None
    sync: DirectorySync

    def start(self) -> None:
        self.sender.start()
        if self.snapshots is not None:
            self.snapshots.start()
        self.sync.start()

    def stop(self) -> None:
        """Stop the threads (idempotent); unsent events stay in the log for next time."""
        self.sync.stop()
        if self.snapshots is not None:
            self.snapshots.stop()
        self.sender.stop()
        self.client.close()
        self.state.close()


def build_uplink(
    config: UplinkConfig,
    *,
    db_path: Path,
    event_log: EventLog,
    directory: DirectoryStore,
    snapshots: SnapshotStore,
    on_synced: Callable[[ApplyReport], None] | None = None,
    credential: str | None = None,
) -> Uplink:
    """Wire the uplink; the credential comes from the env variable named in the config."""
    if not config.aggregator_url:
        raise ConfigError("uplink.aggregator_url is not set")
    credential = credential or os.environ.get(config.credential_env)
    if not credential:
        raise ConfigError(f"uplink: set the environment variable {config.credential_env} to "
                          "this gate's credential (issued when the gate was registered)")
    state = UplinkState(db_path)
    client = AggregatorClient(config.aggregator_url, credential, config.request_timeout_seconds)
    sender = EventSender(event_log, state, client, batch_size=config.batch_size,
                         idle_seconds=config.poll_interval_seconds,
                         heartbeat_seconds=config.heartbeat_interval_seconds,
                         backoff_initial=config.backoff_initial_seconds,
                         backoff_max=config.backoff_max_seconds)
    uploader = (SnapshotUploader(event_log, state, client, snapshots,
                                 backoff_initial=config.backoff_initial_seconds,
                                 backoff_max=config.backoff_max_seconds)
                if config.upload_snapshots else None)
    sync = DirectorySync(directory, state, client, interval_seconds=config.sync_interval_seconds,
                         on_applied=on_synced)
    return Uplink(state, client, sender, uploader, sync)
