"""English and Simplified Chinese: the language switch of the portal and the admin site, and the
REST API answering in the Accept-Language language."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings

from tests.portal.conftest import text

pytestmark = pytest.mark.django_db


def test_the_language_switch_sets_the_cookie_and_goes_back(as_user, content):
    client = as_user("gus")

    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/projects/alpha/"})

    assert response.status_code == 302 and response["Location"] == "/projects/alpha/"
    assert client.cookies[django_settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"


def test_after_switching_the_next_page_is_chinese(as_user, content):
    client = as_user("gus")
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})

    body = text(client.get("/"))

    assert '<html lang="zh-hans">' in body
    assert "<h1>项目</h1>" in body
    assert "退出" in body


def test_switching_back_to_english(as_user, content):
    client = as_user("gus")
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})

    body = text(client.get("/"))

    assert "<h1>Projects</h1>" in body


def test_the_browsers_accept_language_picks_chinese_without_a_cookie(as_user, content):
    body = text(as_user(None).get("/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9,en;q=0.5"))

    assert "<h1>项目</h1>" in body


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/", ["项目", "访问级别", "角色"]),
        ("/projects/alpha/", ["镜像仓库", "最后修改时间"]),
        ("/projects/alpha/members/", ["成员", "项目管理员", "受限访客"]),
        ("/projects/alpha/logs/", ["审计记录", "操作", "创建"]),
        ("/projects/alpha/repositories/app/", ["推送时间", "拉取时间", "复制", "删除 Tag", "删除 Artifact"]),
        ("/projects/alpha/repositories/app/-/tags/latest/delete/", ["确定删除 Tag", "取消"]),
        ("/login/", ["登录 harborpy", "用户名", "密码"]),
    ],
)
def test_every_page_speaks_chinese(as_user, content, path, words):
    client = as_user(None if path == "/login/" else "pat")
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "zh-hans"

    body = text(client.get(path))

    assert [word for word in words if word not in body] == []


def test_the_artifact_page_speaks_chinese(as_user, content):
    client = as_user("pat")
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "zh-hans"

    body = text(
        client.get(f"/projects/alpha/repositories/app/-/artifacts/{content.app.images['1.0'].digest}/")
    )

    assert [
        word for word in ["清单", "镜像层", "配置", "附件", "SBOM（SPDX）", "Cosign 签名"] if word not in body
    ] == []


def test_the_not_found_page_speaks_chinese(as_user, content):
    client = as_user(None)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "zh-hans"

    response = client.get("/projects/alpha/")

    assert response.status_code == 404
    assert "未找到" in text(response)


def test_the_admin_site_has_the_language_switch(as_user, people):
    body = text(as_user("root").get("/admin/"))

    assert 'action="/i18n/setlang/"' in body
    assert '<option value="zh-hans" lang="zh-hans">简体中文</option>' in body


def test_the_admin_login_page_has_the_language_switch(client, db):
    body = text(client.get("/admin/login/"))

    assert 'action="/i18n/setlang/"' in body


def test_the_admin_site_switches_to_chinese(as_user, people):
    client = as_user("root")
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/admin/"})

    body = text(client.get("/admin/"))

    assert "harborpy 系统管理" in body
    assert "镜像仓库管理" in body


# --- The REST API -------------------------------------------------------------------------------


def test_an_api_error_is_in_chinese_when_the_caller_asks_for_it(api_client, people):
    response = api_client.as_user(people["carol"]).get(
        "/api/v2.0/projects/alpha/summary", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )

    assert response.status_code == 404
    assert response.json()["errors"][0]["message"] == "未找到项目 alpha。"
    assert response["Content-Language"] == "zh-hans"


def test_an_api_error_is_in_english_by_default(api_client, people):
    response = api_client.as_user(people["carol"]).get("/api/v2.0/projects/alpha/summary")

    assert response.json()["errors"][0]["message"] == "Project alpha not found."


def test_an_api_error_code_is_never_translated(api_client, people):
    response = api_client.as_user(people["carol"]).get(
        "/api/v2.0/projects/alpha/summary", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )

    assert response.json()["errors"][0]["code"] == "NOT_FOUND"


def test_an_unauthenticated_api_call_is_answered_in_chinese(api_client, db):
    response = api_client.get("/api/v2.0/users/current", HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert response.status_code == 401
    message = response.json()["errors"][0]["message"]
    assert any("\u4e00" <= character <= "\u9fff" for character in message), message


def test_a_registry_error_is_in_chinese_when_the_client_asks_for_it(anon_client, library):
    response = anon_client.get("/v2/library/nothing/manifests/latest", HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert response.status_code == 404
    assert response.json()["errors"][0]["message"] == "镜像仓库中不存在该仓库名称。"
