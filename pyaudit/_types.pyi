from typing import Any, Dict, NamedTuple, Tuple

class Event(NamedTuple):
    name: str
    args: Tuple[Any, ...]
    time_ns: int
    thread_id: int
    def named_args(self) -> Dict[str, Any]: ...

class SubscriptionInfo(NamedTuple):
    id: int
    kind: str
    patterns: Tuple[str, ...]
