from typing import Any, Dict, NamedTuple, Optional, Tuple

class Event(NamedTuple):
    name: str
    args: Tuple[Any, ...]
    time_ns: int
    thread_id: int
    interpreter_id: int = ...
    stack: Optional[Tuple[Tuple[str, int, str], ...]] = ...
    def named_args(self) -> Dict[str, Any]: ...

class SubscriptionInfo(NamedTuple):
    id: int
    kind: str
    patterns: Tuple[str, ...]
    interpreters: str = ...
    where: Optional[str] = ...
