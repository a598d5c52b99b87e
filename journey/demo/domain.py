"""Demo data (`journey demo load`)."""

from journey.core.domains import Domain
from journey.demo.cli import demo_group

DOMAIN = Domain(name="demo", commands=(demo_group,))
