"""The ``rules:`` section of config.yaml: the rules document with its ``include`` files resolved.

Why includes: the shipped rules (hundreds of words in several languages, and the signals that
combine them) would bury the few settings an admin changes. So ``config.yaml`` says
``rules: {include: rules/default.yaml, product: ...}`` and stays short, and the rule package
stays pure: this module does the reading, ``rules.compile_rules`` gets one merged mapping.

Merging (the including document wins): ``concepts`` add words to a concept of the same name;
``signals`` replace a signal of the same name, others are added; ``thresholds`` and
``text_model`` override key by key; ``product`` replaces the included one; ``staff_domains``
add up; ``rules`` of the including document come first (the category comes from the first
matching rule). A plain list (the original format) is a document with only ``rules``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from middleware.config.schema import load_yaml
from rules import RuleError

__all__ = ["load_rules_document", "merge_documents"]

MAX_DEPTH = 5
# The shipped rules (rules/default.yaml, ...) live beside the code: a config.yaml kept elsewhere
# (/etc/..., a test's temporary folder) still finds them by the same relative path.
PRODUCT_ROOT = Path(__file__).resolve().parents[2]


def load_rules_document(raw: Any, base_dir: Path, *, _depth: int = 0, _where: str = "rules") -> Any:
    """``raw`` with every ``include`` read and merged in: a path relative to ``base_dir`` (the
    including file's folder), else to the product's own folder (the shipped ``rules/``)."""
    if not isinstance(raw, dict) or "include" not in raw:
        return raw
    if _depth >= MAX_DEPTH:
        raise RuleError(None, None, "include", f"includes nested more than {MAX_DEPTH} deep ({_where})")
    includes = raw["include"]
    includes = [includes] if isinstance(includes, str) else includes
    if not isinstance(includes, list) or not includes or any(not isinstance(i, str) for i in includes):
        raise RuleError(None, None, "include", "a file path or a list of file paths (relative to the including file)")
    merged: dict[str, Any] = {}
    for name in includes:
        path = (base_dir / name).resolve()
        if not path.exists() and (PRODUCT_ROOT / name).exists():
            path = (PRODUCT_ROOT / name).resolve()
        try:
            text = path.read_text(encoding="utf-8")
            # JSON is YAML too, but the text model's data (megabytes) parses 50x faster as JSON.
            loaded = json.loads(text) if path.suffix == ".json" else load_yaml(text)
        except json.JSONDecodeError as exc:
            raise RuleError(None, None, "include", f"{name} is not valid JSON: {exc}") from None
        except OSError as exc:
            raise RuleError(None, None, "include", f"cannot read {name} ({_where}): {exc.strerror or exc}") from None
        except yaml.YAMLError as exc:
            raise RuleError(None, None, "include", f"{name} is not valid YAML: {exc}") from None
        if isinstance(loaded, list):
            loaded = {"rules": loaded}
        if not isinstance(loaded, dict):
            raise RuleError(None, None, "include", f"{name}: expected a mapping (concepts, signals, rules, ...)")
        loaded = load_rules_document(loaded, path.parent, _depth=_depth + 1, _where=name)
        merged = merge_documents(merged, loaded)
    own = {k: v for k, v in raw.items() if k != "include"}
    return merge_documents(merged, own)


def _flat_terms(value: Any) -> Any:
    if isinstance(value, dict):
        out: list[Any] = []
        for terms in value.values():
            flat = _flat_terms(terms)
            out.extend(flat if isinstance(flat, list) else [flat])
        return out
    return value


def merge_documents(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``over`` merged onto ``base`` (neither is changed)."""
    out = dict(base)
    for key, value in over.items():
        if key == "concepts" and isinstance(value, dict) and isinstance(base.get(key), dict):
            concepts = dict(base[key])
            for name, terms in value.items():
                if name in concepts and isinstance(_flat_terms(concepts[name]), list):
                    added = _flat_terms(terms)
                    concepts[name] = [*_flat_terms(concepts[name]), *(added if isinstance(added, list) else [added])]
                else:
                    concepts[name] = terms
            out[key] = concepts
        elif key == "signals" and isinstance(value, list) and isinstance(base.get(key), list):
            names = {s.get("name") for s in value if isinstance(s, dict)}
            kept = [s for s in base[key] if not (isinstance(s, dict) and s.get("name") in names)]
            out[key] = [*kept, *value]
        elif key in ("thresholds", "text_model") and isinstance(value, dict) and isinstance(base.get(key), dict):
            out[key] = {**base[key], **value}
        elif key in ("staff_domains", "tool_senders") and isinstance(value, list) and isinstance(base.get(key), list):
            out[key] = [*base[key], *(d for d in value if d not in base[key])]
        elif key == "rules" and isinstance(value, list) and isinstance(base.get(key), list):
            out[key] = [*value, *base[key]]
        else:
            out[key] = value
    return out
