"""`aggregator serve`: run the aggregator with uvicorn; `aggregator add-user`."""

from __future__ import annotations

import logging
import os
import sys

import click

from aggregator.errors import AggregatorError
from aggregator.settings import AggregatorSettings


def _settings(db: str | None, demo: bool) -> AggregatorSettings:
    overrides: dict[str, object] = {"demo": demo} if demo else {}
    if db:
        overrides["database_url"] = _url(db)
    return AggregatorSettings(**overrides)  # type: ignore[arg-type]


def _url(db: str) -> str:
    return "sqlite:///var/aggregator/aggregator.db" if db == "sqlite" else db


@click.group()
def main() -> None:
    """The community's central aggregator."""


@main.command()
@click.option("--db", default=None, help="sqlite | sqlite:///path | postgresql+psycopg://...")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--demo", is_flag=True, help="Allow the placeholder secret; create demo users.")
def serve(db: str | None, host: str, port: int, demo: bool) -> None:
    """Migrate the database and serve the API and console."""
    import uvicorn

    from aggregator.app import create_app

    logging.basicConfig(level=os.environ.get("AGGREGATOR_LOG_LEVEL", "WARNING"))
    try:
        app = create_app(_settings(db, demo))
    except AggregatorError as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(2)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


@main.command("add-user")
@click.argument("username")
@click.option("--role", type=click.Choice(["admin", "security", "guard"]), required=True)
@click.option("--db", default=None)
@click.password_option()
def add_user(username: str, role: str, db: str | None, password: str) -> None:
    """Create a console user (or reset their password)."""
    from aggregator.services import Services

    settings = _settings(db, False).model_copy(update={"background_jobs": False})
    services = Services(settings)
    try:
        services.create_user(username, password, role)
    finally:
        services.close()
    click.echo(f"user {username} ({role}) saved")


if __name__ == "__main__":
    main()
