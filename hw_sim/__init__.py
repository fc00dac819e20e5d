"""The simulated world: replay cameras, door physics, photo attacks, scenarios."""
