"""The flask-smorest Api, made to speak problem+json in both errors and docs."""

from __future__ import annotations

import http
from typing import Any

from flask import Flask
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from werkzeug.exceptions import HTTPException

from .errors import PROBLEM_JSON, problem_response
from .schemas import ProblemSchema


class TimelineApi(Api):
    ERROR_SCHEMA = ProblemSchema

    def __init__(self, app: Flask) -> None:
        super().__init__(
            app,
            spec_kwargs={
                "info": {
                    "description": (
                        "Dated events between countries, with source citations and a claim "
                        "status that reviewers decide. Every error is an RFC 9457 problem "
                        "document (application/problem+json)."
                    )
                }
            },
        )
        self.spec.components.security_scheme(
            "bearerAuth",
            {
                "type": "http",
                "scheme": "bearer",
                "description": "A token from 'flask tokens create'",
            },
        )

    def handle_http_exception(self, error: HTTPException) -> Any:
        return problem_response(error)

    def _register_responses(self) -> None:
        """Document every error response as application/problem+json."""
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        default = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(default, self.spec, PROBLEM_JSON)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, default, lazy=True)
