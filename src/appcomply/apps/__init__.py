"""apps: the tenant — an app, its types (the 39-type catalogue), features, licences, API keys — and the staff."""

from appcomply.apps.errors import AppNotFound, InvalidToken
from appcomply.apps.models import App
from appcomply.apps.rules import Catalogue, LicenceKind, ServiceKind, load_catalogue
from appcomply.apps.schemas import AppCreate, AppRead, FeatureCreate, LicenceCreate
from appcomply.apps.service import (
    CredentialAuthenticator,
    add_feature,
    app_id_by_slug,
    app_read,
    authenticate_session,
    create_api_key,
    create_app,
    create_staff,
    find_app_by_slug,
    find_staff,
    get_app,
    get_app_by_slug,
    list_apps,
    list_features,
    log_in,
    log_out,
)
from appcomply.apps.service._staff import LoginOutcome, LoginResult

__all__ = [
    "App",
    "AppCreate",
    "AppNotFound",
    "AppRead",
    "Catalogue",
    "CredentialAuthenticator",
    "FeatureCreate",
    "InvalidToken",
    "LicenceCreate",
    "LicenceKind",
    "LoginOutcome",
    "LoginResult",
    "ServiceKind",
    "add_feature",
    "app_id_by_slug",
    "app_read",
    "authenticate_session",
    "create_api_key",
    "create_app",
    "create_staff",
    "find_app_by_slug",
    "find_staff",
    "get_app",
    "get_app_by_slug",
    "list_apps",
    "list_features",
    "load_catalogue",
    "log_in",
    "log_out",
]
