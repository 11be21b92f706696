"""The brand web app (``serving/webapp``) in process, mounted on the real service
(``MatcherService.to_asgi()``, the tiny hashing pipeline, real API keys and request log):
session cookie, CSRF, the brief form's validation, results, actions and undo, the shortlist
and its CSV, past briefs, "more like", and that nothing of another brand is visible."""

from __future__ import annotations

import csv
import io
import re
import sqlite3

import pytest

from tests.integration.test_service import serve_in_process

BRIEF_TEXT = "sourdough starter and bread baking for home bakers"


@pytest.fixture(scope="module")
def app_env(tiny_pipeline_dir, tmp_path_factory):
    d = tmp_path_factory.mktemp("webapp")
    with serve_in_process(
        MATCHER_MODEL=str(tiny_pipeline_dir),
        MATCHER_REQUEST_LOG=str(d / "requests.db"),
        MATCHER_SESSION_SECRET="test-secret",
    ) as (c, _):
        c.headers.pop("authorization")  # the page's only credential is its session cookie
        yield c, d / "requests.db"


@pytest.fixture(scope="module")
def client(app_env):
    return app_env[0]


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "no CSRF token in the page"
    return m.group(1)


def ids_of(html: str) -> list[str]:
    return re.findall(r'data-influencer-id="([^"]+)"', html)


def sign_in(client, brand: str = "brand-bake"):
    client.cookies.clear()
    page = client.get("/app/")
    key = client.keys.add(brand)
    r = client.post(
        "/app/signin",
        data={"api_key": key, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return r


def submit(client, **fields):
    page = client.get("/app/")
    data = {"text": BRIEF_TEXT, "k": "20", "csrf_token": csrf_of(page.text), **fields}
    return client.post("/app/match", data=data, follow_redirects=False)


def canonical_id(html: str) -> str:
    m = re.search(r'data-canonical="/app/requests/([0-9a-f]+)"', html)
    assert m, "a fresh answer names its own address"
    return m.group(1)


def results_of(client, **fields) -> tuple[str, str]:
    """Submit the brief: the answer comes in the POST's response; a GET of its address (a
    reload) shows the same list."""
    r = submit(client, **fields)
    assert r.status_code == 200, r.text
    rid = canonical_id(r.text)
    page = client.get(f"/app/requests/{rid}")
    assert page.status_code == 200 and ids_of(page.text) == ids_of(r.text)
    return rid, page.text


def act(client, path: str, rid: str, inf: str, event: str, csrf: str, **extra):
    return client.post(
        f"/app/{path}",
        data={"request_id": rid, "influencer_id": inf, "event": event, "csrf_token": csrf, **extra},
        headers={"Accept": "application/json"},
    )


# --------------------------------------------------------------------------- sessions
def test_sign_in_page_and_cookie_flags(client):
    client.cookies.clear()
    r = client.get("/app", follow_redirects=True)
    assert r.status_code == 200 and 'name="api_key"' in r.text
    r = sign_in(client)
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("matcher_session=")
    for flag in ("httponly", "samesite=strict", "path=/app"):
        assert flag in cookie.lower(), cookie
    home = client.get("/app/")
    assert '<textarea id="text" name="text"' in home.text and "brand-bake" in home.text
    assert (
        len(re.findall(r'type="submit"', home.text.split('id="brief-form"')[1].split("</form>")[0]))
        == 1
    )


def test_bad_key_missing_csrf_and_sign_out(client):
    client.cookies.clear()
    page = client.get("/app/")
    r = client.post(
        "/app/signin", data={"api_key": "mk_nosuch_secret", "csrf_token": csrf_of(page.text)}
    )
    assert r.status_code == 401 and "invalid or revoked API key" in r.text
    r = client.post("/app/signin", data={"api_key": client.keys.add("brand-bake")})  # no CSRF token
    assert r.status_code == 403 and "CSRF" in r.text
    sign_in(client)
    assert client.get("/app/shortlist").status_code == 200
    r = client.post("/app/match", data={"text": BRIEF_TEXT, "csrf_token": "forged"})
    assert r.status_code == 403
    home = client.get("/app/")
    r = client.post("/app/signout", data={"csrf_token": csrf_of(home.text)}, follow_redirects=False)
    assert r.status_code == 303 and "1970" in r.headers["set-cookie"]  # the cookie is cleared
    r = client.get("/app/shortlist", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("/app/")


def test_a_revoked_key_ends_the_session(client):
    client.cookies.clear()
    page = client.get("/app/")
    key = client.keys.add("brand-bake")
    client.post("/app/signin", data={"api_key": key, "csrf_token": csrf_of(page.text)})
    assert client.get("/app/shortlist").status_code == 200
    client.keys.revoke(key.split("_")[1])
    assert client.get("/app/shortlist", follow_redirects=False).status_code == 303


# --------------------------------------------------------------------------- brief form
@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"text": "   "}, "text", "at least 1 character"),
        ({"min_followers": "50000", "max_followers": "1000"}, "max_followers", "must not exceed"),
        ({"target_countries": "US, XX"}, "target_countries", "unknown country"),
        ({"budget_usd": "-5"}, "budget_usd", "greater than 0"),
        ({"min_followers": "lots"}, "min_followers", "whole number"),
        ({"k": "500"}, "k", "1 to 100"),
        ({"interests": "No Such Topic Anywhere"}, "interests", "No Such Topic"),
        ({"like": "@nobody_here"}, "like", "@nobody_here"),
    ],
)
def test_form_errors_name_the_field(client, fields, field, words):
    sign_in(client)
    r = submit(client, **fields)
    assert r.status_code == 400, r.text
    m = re.search(rf'<p class="error" id="{field}-error">([^<]+)</p>', r.text)
    assert m, f"no error shown for {field}: {r.text[:3000]}"
    assert words.lower() in m.group(1).lower()
    assert f'id="{field}"' in r.text and 'aria-invalid="true"' in r.text


# --------------------------------------------------------------------------- the flow
def test_results_shortlist_undo_csv(app_env):
    client, log_path = app_env
    sign_in(client)
    rid, html = results_of(client, platforms="instagram")
    ids = ids_of(html)
    assert len(ids) == 20 and ids[0].startswith("bak")
    with sqlite3.connect(log_path) as con:
        logged = [
            r[0]
            for r in con.execute(
                "SELECT influencer_id FROM impressions WHERE request_id = ? ORDER BY position",
                (rid,),
            )
        ]
        brand = con.execute(
            "SELECT brand_id FROM requests WHERE request_id = ?", (rid,)
        ).fetchone()[0]
    assert ids == logged and brand == "brand-bake"  # rank order, logged under the key's brand
    assert (
        html.count('data-action="shortlist"') == 20
        and "model" in html
        and "passed the filters" in html
    )
    csrf = csrf_of(html)
    for inf in ids[:2]:
        r = act(client, "feedback", rid, inf, "shortlisted", csrf)
        assert r.status_code == 200 and r.json()["duplicate"] is False
    assert ids_of(client.get("/app/shortlist").text) == [ids[1], ids[0]]  # newest first
    # the results page shows them as done (undo buttons) after a reload
    again = client.get(f"/app/requests/{rid}").text
    assert again.count('aria-pressed="true"') == 2
    rows = list(csv.DictReader(io.StringIO(client.get("/app/shortlist.csv").text)))
    assert [r["influencer_id"] for r in rows] == [ids[1], ids[0]] and rows[0]["handle"].startswith(
        "@"
    )
    # undo: gone from the shortlist and from the feedback table (kept as a retraction), and re-doable
    assert act(client, "undo", rid, ids[0], "shortlisted", csrf).json()["undone"] is True
    assert ids_of(client.get("/app/shortlist").text) == [ids[1]]
    with sqlite3.connect(log_path) as con:
        assert (
            con.execute(
                "SELECT COUNT(*) FROM feedback WHERE request_id = ? AND influencer_id = ?",
                (rid, ids[0]),
            ).fetchone()[0]
            == 0
        )
        assert con.execute(
            "SELECT event FROM feedback_retractions WHERE request_id = ?", (rid,)
        ).fetchall() == [("shortlisted",)]
    assert act(client, "feedback", rid, ids[0], "shortlisted", csrf).json()["duplicate"] is False
    assert set(ids_of(client.get("/app/shortlist").text)) == {ids[0], ids[1]}
    # the other actions are the API's events, with its rules
    assert act(client, "feedback", rid, ids[2], "dismissed", csrf).status_code == 200
    assert act(client, "feedback", rid, ids[2], "rating", csrf, value="4").json()["value"] == 4
    bad = act(client, "feedback", rid, ids[2], "rating", csrf, value="9")
    assert bad.status_code == 400 and "between 1 and 5" in bad.text
    assert act(client, "feedback", rid, ids[2], "rating", csrf, value="5").status_code == 409
    assert act(client, "undo", rid, ids[2], "rating", csrf).json()["undone"] is True
    assert act(client, "feedback", rid, ids[2], "rating", csrf, value="5").status_code == 200
    assert 'class="match card dismissed"' in client.get(f"/app/requests/{rid}").text
    # past briefs reopen with their actions
    assert f'data-request-id="{rid}"' in client.get("/app/").text
    reopened = client.get(f"/app/?from={rid}").text
    assert BRIEF_TEXT in reopened and 'value="instagram" checked' in reopened


def test_more_like_a_match(client):
    sign_in(client)
    rid, html = results_of(client, text="esports stream and gaming setup")
    example = "@bak03"
    r = client.post(
        f"/app/requests/{rid}/more-like",
        data={"handle": example, "csrf_token": csrf_of(html)},
        follow_redirects=False,
    )
    assert r.status_code == 200, r.text
    page = r.text
    ids = ids_of(page)
    assert "bak03" not in ids  # the example itself is not suggested back
    assert "Like: @bak03" in page and ids != ids_of(html)
    new_rid = canonical_id(page)
    reopened = client.get(f"/app/?from={new_rid}").text
    assert (
        'name="like" value="bak03"' in reopened
        and "bak03" in reopened.split('id="excluded_handles"')[1][:200]
    )


def test_creator_page_shows_audience_and_posts(client):
    sign_in(client)
    rid, html = results_of(client)
    inf = ids_of(html)[0]
    page = client.get(f"/app/creators/{inf}?request_id={rid}").text
    for words in ("Top countries", "Ages", "Gender", "Recent posts", "Fit", "calibrated chance"):
        assert words in page
    assert "18-24" in page and "60%" in page or "70%" in page
    assert client.get("/app/creators/nosuch").status_code == 404


def test_plan_a_campaign_from_a_brief(client):
    """The results page's plan form: the plan equals the API's for the same brief and budget,
    its creators take actions, and a bad budget is an error naming the field."""
    sign_in(client)
    rid, html = results_of(client, text="sourdough starter and bread baking for home bakers")
    assert f'action="/app/requests/{rid}/plan"' in html
    r = client.post(
        f"/app/requests/{rid}/plan",
        data={
            "budget_usd": "600",
            "max_creators": "4",
            "goal": "engagements",
            "csrf_token": csrf_of(html),
        },
    )
    assert r.status_code == 200, r.text
    page = r.text
    plan_rid = re.search(r'data-plan-request-id="([0-9a-f]+)"', page).group(1)
    ids = ids_of(page)
    api = client.post(
        "/plan",
        json={
            "brief": {"text": BRIEF_TEXT},
            "budget_usd": 600,
            "max_creators": 4,
            "goal": "engagements",
        },
        headers={"Authorization": f"Bearer {client.keys.add('brand-bake')}"},
    ).json()
    assert ids == [c["influencer_id"] for c in api["creators"]] and 1 <= len(ids) <= 4
    assert "of a $600 budget" in page and "engagements (goal)" in page
    assert (
        act(client, "feedback", plan_rid, ids[0], "shortlisted", csrf_of(page)).status_code == 200
    )
    assert ids[0] in ids_of(client.get("/app/shortlist").text)
    for data, field in (
        ({"budget_usd": "", "max_creators": "4"}, "budget_usd"),
        ({"budget_usd": "0.5", "max_creators": "4"}, "budget_usd"),
        ({"budget_usd": "500", "max_creators": "0"}, "max_creators"),
    ):
        bad = client.post(f"/app/requests/{rid}/plan", data={**data, "csrf_token": csrf_of(html)})
        assert bad.status_code == 400 and field in bad.text, bad.text
    sign_in(client, "brand-other")
    home = client.get("/app/").text
    assert (
        client.post(
            f"/app/requests/{rid}/plan", data={"budget_usd": "600", "csrf_token": csrf_of(home)}
        ).status_code
        == 404
    )


# --------------------------------------------------------------------------- other brands
def test_nothing_of_another_brand_is_visible(client):
    sign_in(client, "brand-bake")
    rid, html = results_of(client, text="tomato seedlings and raised garden bed")
    inf = ids_of(html)[0]
    assert act(client, "feedback", rid, inf, "shortlisted", csrf_of(html)).status_code == 200
    sign_in(client, "brand-other")
    home = client.get("/app/")
    assert "tomato seedlings" not in home.text and "None yet" in home.text
    assert ids_of(client.get("/app/shortlist").text) == []
    assert client.get("/app/shortlist.csv").text.strip().count("\n") == 0  # the header only
    assert client.get(f"/app/requests/{rid}").status_code == 404
    assert client.get(f"/app/?from={rid}").status_code == 404
    csrf = csrf_of(home.text)
    assert act(client, "feedback", rid, inf, "contacted", csrf).status_code == 404
    assert act(client, "undo", rid, inf, "shortlisted", csrf).status_code == 404
    r = client.post(f"/app/requests/{rid}/more-like", data={"handle": "@bak01", "csrf_token": csrf})
    assert r.status_code == 404
    sign_in(client, "brand-bake")
    assert inf in ids_of(client.get("/app/shortlist").text)  # untouched by the other brand


# --------------------------------------------------------------------------- the API side of the same features
def test_api_like_and_dismissed(client):
    headers = {"Authorization": f"Bearer {client.keys.add('brand-api')}"}
    r = client.post(
        "/match",
        json={"brief": {"text": "esports stream", "like": ["@bak03", "@nobody", "ghost"]}},
        headers=headers,
    )
    assert r.status_code == 400, r.text
    assert (
        "@nobody" in r.json()["error"]
        and "@ghost" in r.json()["error"]
        and "@bak03" not in r.json()["error"]
    )
    assert r.json()["detail"][0]["loc"] == ["brief.like"]
    r = client.post(
        "/match",
        json={"brief": {"text": "esports stream", "like": ["@bak03"]}, "k": 5},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    inf = body["matches"][0]["influencer_id"]
    fb = client.post(
        "/feedback",
        json={"request_id": body["request_id"], "influencer_id": inf, "event": "dismissed"},
        headers=headers,
    )
    assert fb.status_code == 200 and fb.json()["value"] == 1
    bad = client.post(
        "/feedback",
        json={
            "request_id": body["request_id"],
            "influencer_id": inf,
            "event": "dismissed",
            "value": 2,
        },
        headers=headers,
    )
    assert bad.status_code == 400 and "must be 1" in bad.text


def test_a_past_brief_reopens_from_the_log(client):
    """Another worker, or after a restart: the answer is not in memory; the page shows the logged
    list (same creators, same order, the actions taken) from the request log and the catalogue."""
    from serving.service import MatcherService

    sign_in(client)
    rid, html = results_of(client, text="marathon training and trail running shoes")
    ids = ids_of(html)
    assert act(client, "feedback", rid, ids[3], "shortlisted", csrf_of(html)).status_code == 200
    webapp = next(app for app, path, _ in MatcherService.mount_apps if path == "/app")
    webapp.state.backend._results.clear()
    page = client.get(f"/app/requests/{rid}").text
    assert ids_of(page) == ids and "Reopened from the log" in page
    assert f'data-influencer-id="{ids[3]}"' in page and page.count('aria-pressed="true"') == 1
    assert "@" + ids[0] in page  # handles from the catalogue
