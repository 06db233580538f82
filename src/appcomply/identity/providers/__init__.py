"""Adapters of the identity ports, and the one place that picks them from settings (C3).

`build_identity_providers` is for the composition root (bootstrap.py); it shares one httpx.Client between the
vendor adapters, created here with the settings' timeouts unless one is passed in (tests pass a MockTransport).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from appcomply.identity.ports import EnterpriseChecker, IdentityChecker, SmsSender
from appcomply.identity.providers.aliyun import AliyunIdentityChecker, AliyunRpcClient, AliyunSmsSender
from appcomply.identity.providers.local import LocalEnterpriseChecker, LocalIdentityChecker, RecordingSmsSender
from appcomply.identity.providers.tencent import TencentApiClient, TencentIdentityChecker, TencentSmsSender
from appcomply.kernel.clock import Clock
from appcomply.settings import IdentityProviderKind, Settings, SmsProvider

__all__ = [
    "AliyunIdentityChecker",
    "AliyunSmsSender",
    "IdentityProviders",
    "LocalEnterpriseChecker",
    "LocalIdentityChecker",
    "RecordingSmsSender",
    "TencentIdentityChecker",
    "TencentSmsSender",
    "build_identity_providers",
]


@dataclass(frozen=True, slots=True)
class IdentityProviders:
    sms: SmsSender
    identity: IdentityChecker
    enterprise: EnterpriseChecker
    owned_http: httpx.Client | None = field(default=None, repr=False)

    def close(self) -> None:
        """Close the HTTP client if these providers created it (a client passed in belongs to the caller)."""
        if self.owned_http is not None:
            self.owned_http.close()


def build_identity_providers(
    settings: Settings, *, clock: Clock, http: httpx.Client | None = None
) -> IdentityProviders:
    """The adapters the settings ask for. Enterprise checks are local only: no vendor adapter exists yet."""
    prov = settings.providers
    vendors = {prov.sms.value, prov.identity.value} - {"local"}
    owned = httpx.Client() if http is None and vendors else None
    client = http or owned
    sms: SmsSender = RecordingSmsSender()
    identity: IdentityChecker = LocalIdentityChecker()
    if client is not None:
        aliyun, tencent = settings.aliyun, settings.tencent
        tc_api = TencentApiClient(
            client,
            secret_id=tencent.secret_id.get_secret_value(),
            secret_key=tencent.secret_key.get_secret_value(),
            clock=clock,
            timeout=tencent.timeout_seconds,
        )

        def ali_rpc(host: str) -> AliyunRpcClient:
            return AliyunRpcClient(
                client,
                host=host,
                access_key_id=aliyun.access_key_id.get_secret_value(),
                access_key_secret=aliyun.access_key_secret.get_secret_value(),
                clock=clock,
                timeout=aliyun.timeout_seconds,
            )

        if prov.sms is SmsProvider.ALIYUN:
            sms = AliyunSmsSender(
                ali_rpc(aliyun.sms_endpoint), sign_name=aliyun.sms_sign_name, region_id=aliyun.region_id
            )
        elif prov.sms is SmsProvider.TENCENT:
            sms = TencentSmsSender(
                tc_api,
                sdk_app_id=tencent.sms_sdk_app_id,
                sign_name=tencent.sms_sign_name,
                region=tencent.region,
                host=tencent.sms_endpoint,
            )
        if prov.identity is IdentityProviderKind.ALIYUN:
            identity = AliyunIdentityChecker(ali_rpc(aliyun.cloudauth_endpoint))
        elif prov.identity is IdentityProviderKind.TENCENT:
            identity = TencentIdentityChecker(tc_api, host=tencent.faceid_endpoint)
    return IdentityProviders(sms=sms, identity=identity, enterprise=LocalEnterpriseChecker(), owned_http=owned)
