"""The model: members and the convener (agents), their ties, exit schedules, the monthly step, outcomes."""

from .agents import Convener, Member
from .exits import ExitPlan
from .model import CommunityScenario, Host, LearningCommunity

__all__ = ["CommunityScenario", "Host", "Convener", "ExitPlan", "LearningCommunity", "Member"]
