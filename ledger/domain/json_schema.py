"""JSON Schema (2020-12) of every entry type's ``data``, generated from :mod:`ledger.domain.schemas`.

The field specs there are the one definition of each type: this module only reads them, so the
schema published in the OpenAPI document, the table of docs/protocol.md and the workbench's forms
cannot drift from what the log checks. What a JSON Schema cannot say (a unified social credit
code's check character, a date in the calendar, cross-field rules such as ``end_date`` after
``start_date``, and the append rules) is still checked by the log; the schema says the shape.

Every property carries ``title`` (English) and ``x-title-zh`` (Chinese), for forms and docs.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from ledger.domain.money import CURRENCY_DIGITS
from ledger.domain.schemas import (
    SCHEMAS,
    Amount,
    Bool,
    Currency,
    Date,
    Enum,
    Int,
    ListOf,
    Obj,
    Origin,
    Pattern,
    PublicKey,
    Spec,
    Text,
    Uscc,
)
from ledger.protocol.grammar import PATTERNS, schema_pattern

DIALECT = "https://json-schema.org/draft/2020-12/schema"

# Labels of field names (English, Chinese). A name not listed is shown as itself, spaced.
LABELS: dict[str, tuple[str, str]] = {
    "project": ("Project id", "项目编号"),
    "title_zh": ("Title (Chinese)", "项目名称（中文）"),
    "title_en": ("Title (English)", "项目名称（英文）"),
    "field": ("Field of work", "领域"),
    "region": ("Region", "地区"),
    "start_date": ("Start date", "开始日期"),
    "end_date": ("End date", "结束日期"),
    "currency": ("Currency", "币种"),
    "target": ("Fundraising target", "筹款目标"),
    "implementers": ("Implementing organisations", "执行机构"),
    "overseers": ("Oversight organisations", "监督机构"),
    "directed": ("Directed fundraising (定向)", "定向募捐"),
    "emergency": ("Emergency", "紧急"),
    "plan": ("Fundraising plan", "募捐方案"),
    "description": ("Description", "说明"),
    "amount": ("Amount", "金额"),
    "kind": ("Kind", "类型"),
    "in_kind_description": ("In-kind gift: what, how many, how valued", "实物捐赠：物品、数量、估价方式"),
    "channel": ("Channel", "渠道"),
    "donor_type": ("Donor type", "捐赠人类型"),
    "commitment": ("Donor commitment (hash)", "捐赠人承诺值（哈希）"),
    "receipt": ("Receipt commitment (hash)", "票据承诺值（哈希）"),
    "restricted": ("Restricted (定向)", "定向捐赠"),
    "received_on": ("Received on", "收款日期"),
    "receipt_no": ("Fiscal receipt number", "财政票据号码"),
    "note": ("Note", "备注"),
    "implementer": ("Implementing organisation", "执行机构"),
    "source": ("From which pot", "资金来源"),
    "allocated_on": ("Allocated on", "拨付日期"),
    "category": ("Category", "支出类别"),
    "payee": ("Payee", "收款方"),
    "purpose": ("Purpose", "用途"),
    "paid_on": ("Paid on", "付款日期"),
    "evidence": ("Evidence (SHA-256 of files)", "凭证（文件 SHA-256）"),
    "period_start": ("Period start", "期间开始"),
    "period_end": ("Period end", "期间结束"),
    "summary": ("Summary", "摘要"),
    "beneficiaries": ("Beneficiaries", "受益人"),
    "closed_on": ("Closed on", "结项日期"),
    "surplus": ("Surplus", "结余"),
    "surplus_handling": ("Surplus handling", "结余处理方式"),
    "surplus_note": ("Surplus note", "结余说明"),
    "target_entry": ("Target entry", "目标条目"),
    "verdict": ("Verdict", "结论"),
    "findings": ("Findings", "发现"),
    "org": ("Organisation (unified social credit code)", "机构（统一社会信用代码）"),
    "year": ("Year", "年度"),
    "opinion": ("Opinion", "审计意见"),
    "report_sha256": ("Report (SHA-256)", "报告（SHA-256）"),
    "reason": ("Reason", "原因"),
    "public_key": ("Public key (base64)", "公钥（base64）"),
    "role": ("Role", "角色"),
    "holder": ("Holder (person or department)", "持有人（个人或部门）"),
    "key_id": ("Key id", "密钥编号"),
    "name_zh": ("Name (Chinese)", "名称（中文）"),
    "name_en": ("Name (English)", "名称（英文）"),
    "legal_form": ("Legal form", "组织形式"),
    "track": ("Track", "登记或备案"),
    "public_fundraising": ("Public fundraising qualification", "公开募捐资格"),
    "registered_on": ("Registered on", "登记日期"),
    "effective_on": ("Effective on", "生效日期"),
    "published_on": ("Published on", "公开日期"),
    "publication_sha256": ("Published document (SHA-256)", "公开文件哈希（SHA-256）"),
    "filing_number": ("Filing number", "备案编号"),
    "record_number": ("Record number", "备案记录号"),
    "origin": ("Log origin", "账本名称"),
    "jurisdiction": ("Jurisdiction", "管辖区域"),
    "rule_sets": ("Rule sets", "规则集"),
    "org_name_zh": ("Organisation name (Chinese)", "机构名称（中文）"),
    "org_name_en": ("Organisation name (English)", "机构名称（英文）"),
    "add_implementers": ("Implementers added", "新增执行机构"),
    "add_overseers": ("Overseers added", "新增监督机构"),
    "fundraising_start": ("Fundraising starts", "募捐开始日期"),
    "fundraising_end": ("Fundraising ends", "募捐结束日期"),
    "area": ("Area", "募捐区域"),
    "responsible_person": ("Responsible person", "负责人"),
    "office_address": ("Office address", "办公地址"),
    "receiving_methods": ("Receiving methods", "接受捐赠方式"),
    "bank_account": ("Bank account", "银行账户"),
    "use_of_funds": ("Use of funds", "募得款物用途"),
    "fundraising_cost": ("Fundraising cost", "募捐成本"),
    "replacement": ("Replacement", "替换内容"),
    "charged_on": ("Charged on", "扣费日期"),
    "fee_kind": ("Kind of fee", "费用类别"),
    # disclosures (issue 13)
    "ref": ("Reference", "编号"),
    "title": ("Title", "标题"),
    "occurred_on": ("Occurred on", "事项发生日期"),
    "counterparty": ("Counterparty (organisation)", "交易对方（机构）"),
    "receipts": ("Receipts", "募得款物合计"),
    "used": ("Used for the purpose", "已使用金额"),
    "fundraising_costs": ("Fundraising costs", "募捐成本"),
    "cost_cap": ("Cost cap of the plan", "方案载明的募捐成本上限"),
    "ended_on": ("Campaign ended on", "募捐结束日期"),
    "use_summary": ("Use of the funds", "款物使用情况"),
    "explanation": ("Explanation", "说明"),
    "staff": ("Full-time staff", "专职工作人员"),
    "volunteers": ("Volunteers", "志愿者人数"),
    "council_members": ("Council members", "理事人数"),
    "supervisors": ("Supervisors", "监事人数"),
    "council_meetings": ("Council meetings in the year", "本年理事会会议次数"),
    "total_assets": ("Total assets", "资产合计"),
    "total_liabilities": ("Total liabilities", "负债合计"),
    "net_assets": ("Net assets", "净资产合计"),
    "donation_income": ("Donation income", "捐赠收入"),
    "membership_income": ("Membership fees", "会费收入"),
    "service_income": ("Service income", "提供服务收入"),
    "sales_income": ("Sales income", "商品销售收入"),
    "government_grants": ("Government grants", "政府补助收入"),
    "investment_income": ("Investment income", "投资收益"),
    "other_income": ("Other income", "其他收入"),
    "total_income": ("Total income", "收入合计"),
    "charitable_spending": ("Charitable activities (business activity costs)", "业务活动成本（慈善活动支出）"),
    "management_costs": ("Management costs", "管理费用"),
    "other_expenses": ("Other expenses", "其他费用"),
    "total_spending": ("Total spending", "费用合计"),
    "volunteer_hours": ("Volunteer hours", "志愿服务时长（小时）"),
    "activities": ("Charitable activities of the year", "本年开展慈善活动情况"),
}


def label(name: str) -> tuple[str, str]:
    """The (English, Chinese) label of a field name."""
    found = LABELS.get(name)
    if found is not None:
        return found
    words = name.replace("_", " ")
    return words[:1].upper() + words[1:], words


def _string(pattern_name: str, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "pattern": schema_pattern(pattern_name), **extra}


def spec_schema(spec: Spec) -> dict[str, Any]:
    """The JSON Schema of one field spec."""
    if isinstance(spec, Text):
        out: dict[str, Any] = {"type": "string", "minLength": 1, "maxLength": spec.max}
        if spec.multiline:
            out["x-multiline"] = True
        return out
    if isinstance(spec, Pattern):
        name = next((n for n, text in PATTERNS.items() if text == spec.regex.pattern), None)
        pattern = schema_pattern(name) if name else f"^(?:{spec.regex.pattern})$"
        return {"type": "string", "pattern": pattern, "description": spec.what}
    if isinstance(spec, Enum):
        return {"type": "string", "enum": list(spec.values)}
    if isinstance(spec, Bool):
        return {"type": "boolean"}
    if isinstance(spec, Int):
        return {"type": "integer", "minimum": spec.lo, "maximum": spec.hi}
    if isinstance(spec, Date):
        return _string("date", format="date")
    if isinstance(spec, Origin):
        return _string("origin")
    if isinstance(spec, Uscc):
        return _string("uscc", description="unified social credit code (GB 32100), check character verified")
    if isinstance(spec, PublicKey):
        return _string("b64_key", description="base64 of a raw 32-byte Ed25519 public key")
    if isinstance(spec, Currency):
        return {"type": "string", "enum": sorted(CURRENCY_DIGITS)}
    if isinstance(spec, Amount):
        return _string(
            "signed_amount" if spec.allow_negative else "amount",
            description=(
                f"decimal string with exactly the minor digits of the currency in {spec.currency_field!r}"
                + ("; zero allowed" if spec.allow_zero else "; greater than zero")
            ),
            **{"x-amount": True, "x-currency-field": spec.currency_field},
        )
    if isinstance(spec, ListOf):
        out = {"type": "array", "items": spec_schema(spec.item), "minItems": spec.min, "maxItems": spec.max}
        if spec.unique:
            out["uniqueItems"] = True
        return out
    if isinstance(spec, Obj):
        return object_schema(spec.schema)
    raise TypeError(f"no JSON Schema for the spec {type(spec).__name__}")


def nullable(prop: dict[str, Any]) -> dict[str, Any]:
    """``prop`` that also accepts JSON null."""
    out = dict(prop)
    out["type"] = [prop["type"], "null"]
    if "enum" in out:
        out["enum"] = [*out["enum"], None]
    return out


def kind(prop: dict[str, Any]) -> str:
    """The JSON type of a property, without the ``null`` an optional one also accepts."""
    value = prop["type"]
    if isinstance(value, list):
        return str(next(t for t in value if t != "null"))
    return str(value)


def object_schema(record: type) -> dict[str, Any]:
    """The JSON Schema of a record class of :mod:`ledger.domain.schemas`."""
    properties: dict[str, Any] = {}
    required: list[str] = []
    for f in fields(record):
        en, zh = label(f.name)
        prop = {"title": en, "x-title-zh": zh, **spec_schema(f.metadata["spec"])}
        if f.metadata["optional"]:
            prop = nullable(prop)  # an explicit null means the same as absent
        else:
            required.append(f.name)
        properties[f.name] = prop
    out: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        out["required"] = required
    doc = (record.__doc__ or "").strip()
    if doc and not doc.startswith(record.__name__ + "("):  # not the dataclass's generated signature
        out["description"] = " ".join(doc.split())
    return out


def entry_data_schema(type_name: str) -> dict[str, Any]:
    """The JSON Schema of ``data`` for the entry type ``type_name``."""
    schema = object_schema(SCHEMAS[type_name])
    return {"$schema": DIALECT, "$id": f"urn:charity-ledger:entry-data:{type_name}", "title": type_name, **schema}


def all_entry_data_schemas() -> dict[str, dict[str, Any]]:
    """Every entry type's data schema, by type, in the order of ``SCHEMAS``."""
    return {name: entry_data_schema(name) for name in SCHEMAS}


def component_name(type_name: str) -> str:
    """The OpenAPI component name of a type's data schema (``EntryData.donation.received``)."""
    return f"EntryData.{type_name}"


def openapi_components() -> dict[str, dict[str, Any]]:
    """The data schemas as OpenAPI 3.1 components (no ``$schema``/``$id``: the document's own dialect)."""
    out: dict[str, dict[str, Any]] = {}
    for name, schema in all_entry_data_schemas().items():
        out[component_name(name)] = {k: v for k, v in schema.items() if k not in ("$schema", "$id")}
    return out


# --- docs/protocol.md --------------------------------------------------------------------------

DOCS_BEGIN = "<!-- entry-data:begin (generated by: python -m ledger.domain.json_schema docs/protocol.md) -->"
DOCS_END = "<!-- entry-data:end -->"


def _shape(prop: dict[str, Any]) -> str:
    type_ = kind(prop)
    if type_ == "array":
        inner = _shape(prop["items"])
        unique = ", unique" if prop.get("uniqueItems") else ""
        return f"list of {inner} ({prop['minItems']} to {prop['maxItems']}{unique})"
    if type_ == "object":
        return "object (below)"
    if "enum" in prop:
        return "one of " + ", ".join(f"`{v}`" for v in prop["enum"] if v is not None)
    if type_ == "boolean":
        return "true or false"
    if type_ == "integer":
        return f"integer {prop['minimum']} to {prop['maximum']}"
    if prop.get("x-amount"):
        sign = "signed " if "signed_amount" in prop["pattern"] or prop["pattern"].startswith("^(?:-") else ""
        zero = "zero allowed" if "zero allowed" in prop.get("description", "") else "above zero"
        return f"{sign}amount in `{prop['x-currency-field']}` ({zero})"
    if prop.get("format") == "date":
        return "date `YYYY-MM-DD`"
    if "maxLength" in prop:
        return f"text, 1 to {prop['maxLength']} characters" + (" (lines allowed)" if prop.get("x-multiline") else "")
    description = str(prop.get("description", "string"))
    return description.replace("|", "\\|")


def _rows(schema: dict[str, Any], prefix: str = "") -> list[str]:
    required = set(schema.get("required", ()))
    out: list[str] = []
    nested: list[tuple[str, dict[str, Any]]] = []
    for name, prop in schema["properties"].items():
        need = "required" if name in required else "optional"
        out.append(f"| `{prefix}{name}` | {need} | {_shape(prop)} | {prop['x-title-zh']} / {prop['title']} |")
        if kind(prop) == "object":
            nested.append((name, prop))
    for name, prop in nested:
        out.extend(_rows(prop, prefix + name + "."))
    return out


def markdown() -> str:
    """The section of docs/protocol.md listing every type's data fields (generated)."""
    parts = [DOCS_BEGIN, ""]
    for type_name, schema in all_entry_data_schemas().items():
        parts.append(f"#### `{type_name}`")
        parts.append("")
        if "description" in schema:
            parts.append(str(schema["description"]))
            parts.append("")
        parts.append("| field | | value | label |")
        parts.append("|---|---|---|---|")
        parts.extend(_rows(schema))
        parts.append("")
    parts.append(DOCS_END)
    return "\n".join(parts)


def replace_docs_section(text: str) -> str:
    """``text`` (docs/protocol.md) with its generated section replaced by :func:`markdown`."""
    start, end = text.index(DOCS_BEGIN), text.index(DOCS_END) + len(DOCS_END)
    return text[:start] + markdown() + text[end:]


__all__ = [
    "DOCS_BEGIN",
    "DOCS_END",
    "LABELS",
    "all_entry_data_schemas",
    "component_name",
    "entry_data_schema",
    "kind",
    "label",
    "markdown",
    "nullable",
    "object_schema",
    "openapi_components",
    "replace_docs_section",
    "spec_schema",
]


if __name__ == "__main__":  # python -m ledger.domain.json_schema docs/protocol.md
    import sys
    from pathlib import Path

    target = Path(sys.argv[1])
    target.write_text(replace_docs_section(target.read_text(encoding="utf-8")), encoding="utf-8")
