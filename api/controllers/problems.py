"""The catalogue of error codes: what each problem ``type`` URI points at."""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated

from litestar import Controller, get
from litestar.openapi.spec import Example
from litestar.params import PathParameter

from api.openapi import problems
from api.problems import status_of
from api.schemas import ProblemType, ProblemTypeList
from ledger.errors import CATALOGUE, LedgerError
from ledger.protocol.grammar import schema_pattern


def _problem_type(code: str) -> ProblemType:
    spec = CATALOGUE[code]
    status = status_of(code)
    return ProblemType(
        code=code,
        kind=spec.kind,
        status=status,
        title=HTTPStatus(status).phrase,
        message_en=spec.en,
        message_zh=spec.zh,
    )


class ProblemsController(Controller):
    path = "/api/v1/problems"
    tags = ("problems",)

    @get("/", operation_id="listProblemTypes", sync_to_thread=False)
    def list_problem_types(self) -> ProblemTypeList:
        """Every error code the API can answer with, its HTTP status and message templates."""
        return ProblemTypeList(items=[_problem_type(code) for code in sorted(CATALOGUE)])

    @get("/{code:str}", operation_id="getProblemType", sync_to_thread=False, responses=problems(400, 404))
    def get_problem_type(
        self,
        code: Annotated[str, PathParameter(pattern=schema_pattern("code"), examples=[Example(value="unknown_signer")])],
    ) -> ProblemType:
        """One error code."""
        if code not in CATALOGUE:
            raise LedgerError("not_found", what="error code", what_zh="错误代码", ref=code)
        return _problem_type(code)
