"""The model: members and the convener (agents), their ties, exit schedules, the monthly step, outcomes."""

from .agents import Convener, Member
from .exits import ExitPlan
from .model import LearningCommunity

__all__ = ["Convener", "ExitPlan", "LearningCommunity", "Member"]
