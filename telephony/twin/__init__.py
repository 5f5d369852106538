"""The Asterisk twin: a stand-in for Asterisk 22 over real AMI and FastAGI."""

from telephony.twin.ami import AmiUser
from telephony.twin.twin import ChannelInfo, DidStats, SpyInfo, Twin, TwinConfig

__all__ = ["AmiUser", "ChannelInfo", "DidStats", "SpyInfo", "Twin", "TwinConfig"]
