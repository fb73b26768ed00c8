"""The pure parts of ``make sam-local`` (localrun/sam_local.py): which function each events/ sample
goes to, what of two answers is compared, the image recipe's cache tag, the template SAM runs."""

import json
import shutil

import pytest
import yaml

from localrun import sam_local, template


def test_every_events_folder_goes_to_the_function_whose_code_it_names():
    by_contract = sam_local.contract_functions()
    assert by_contract == {
        "affonso": "AffonsoFunction", "brandbassador": "BrandbassadorFunction", "checkout": "CheckoutFunction",
        "friendbuy": "FriendbuyFunction", "rates_refresh": "RatesRefreshFunction", "sender": "SenderFunction",
        "sitevibes": "SiteVibesFunction"}
    cases = sam_local.cases()
    assert {c.contract for c in cases} == set(by_contract)
    assert all(c.function == by_contract[c.contract] and c.path.exists() for c in cases)
    assert len(cases) == len(list(sam_local.EVENTS_DIR.glob("*/*.json")))


def test_the_sender_message_runs_after_the_checkout_sale_it_delivers():
    order = [str(c) for c in sam_local.cases()]
    assert order.index("sender/sale-tracking-link") > order.index("checkout/redeem-tracking-link")


def test_an_events_folder_without_a_function_is_refused(tmp_path):
    (tmp_path / "nobody").mkdir()
    (tmp_path / "nobody" / "x.json").write_text("{}")
    with pytest.raises(SystemExit, match="no function"):
        sam_local.cases(tmp_path)


def test_the_subset_is_one_event_per_function_in_run_order():
    cases = sam_local.cases()
    chosen = sam_local.subset(cases)
    assert [c.function for c in chosen] == sorted({c.function for c in cases}, key=[c.function for c in cases].index)
    assert [str(c) for c in chosen] == list(sam_local.SUBSET)
    # a renamed sample: the function's first event stands in
    fallback = sam_local.subset(cases, names=())
    assert [str(c) for c in fallback] == [str(next(c for c in cases if c.function == f.function)) for f in fallback]


def test_ids_and_times_are_ignored_but_not_what_the_contract_says():
    def answer(status, body):
        return {"statusCode": status, "headers": {"X-Request-Id": "abc"}, "body": json.dumps(body)}

    a = answer(201, {"id": "r-1", "created_at": "2026-12-07T01:02:03Z", "amount": "20.98",
                     "history": [{"at": "2026-12-07T01:02:03.123456+00:00", "amount": "25.00"}]})
    b = answer(201, {"id": "r-2", "created_at": "2027-01-01T00:00:00Z", "amount": "20.98",
                     "history": [{"at": "2027-01-01T00:00:00+00:00", "amount": "25.00"}]})
    assert sam_local.normalise(a) == sam_local.normalise(b)
    assert sam_local.normalise(a) != sam_local.normalise(answer(200, json.loads(b["body"])))  # status counts
    assert sam_local.normalise(a) != sam_local.normalise(answer(201, {**json.loads(b["body"]), "amount": "20.99"}))
    # a generated code is volatile, an error's code is not
    assert sam_local.normalise(answer(200, {"coupon_code": "SV7KQ2M9XA"})) == sam_local.normalise(
        answer(200, {"coupon_code": "SVAAAAAAAA"}))
    assert sam_local.normalise(answer(409, {"error": {"code": "taken"}})) != sam_local.normalise(
        answer(409, {"error": {"code": "other"}}))
    # a key missing on one side is a difference even when its value would be masked
    assert sam_local.normalise(answer(200, {"id": "x"})) != sam_local.normalise(answer(200, {}))


def test_non_json_bodies_and_non_http_answers_compare_as_they_are():
    page = {"statusCode": 200, "body": "<!doctype html><p>portal</p>"}
    assert sam_local.normalise(page) == {"status": 200, "body": "<!doctype html><p>portal</p>"}
    assert sam_local.normalise({"batchItemFailures": []}) == {"batchItemFailures": []}
    assert sam_local.normalise({"batchItemFailures": [{"itemIdentifier": "0b4e5c2a-1111-2222-3333-444455556666"}]}) \
        == {"batchItemFailures": [{"itemIdentifier": "<uuid>"}]}


def test_the_image_tag_changes_with_the_recipe_and_only_with_it(tmp_path):
    recipe = tmp_path / "image"
    shutil.copytree(sam_local.IMAGE_RECIPE, recipe)
    first = sam_local.recipe_hash(recipe)
    assert first == sam_local.recipe_hash(sam_local.IMAGE_RECIPE) and len(first) == 12
    (recipe / "__pycache__").mkdir(exist_ok=True)
    (recipe / "__pycache__" / "x.pyc").write_bytes(b"cache")
    assert sam_local.recipe_hash(recipe) == first  # bytecode left by a run is not the recipe
    (recipe / "bootstrap").write_text((recipe / "bootstrap").read_text() + "\n# changed\n")
    assert sam_local.recipe_hash(recipe) != first
    runtime, architecture = sam_local.runtime_and_architecture()
    assert (runtime, architecture) == (template.load()["Globals"]["Function"]["Runtime"], "arm64")
    assert sam_local.image_tag(runtime, architecture, first) == f"coupons-sam-local:{runtime}-arm64-{first}"


def test_the_recipe_builds_what_the_template_runs():
    runtime, _ = sam_local.runtime_and_architecture()
    bootstrap = (sam_local.IMAGE_RECIPE / "bootstrap").read_text()
    assert f"/usr/bin/{runtime} -m awslambdaric" in bootstrap
    assert f"include={runtime}," in (sam_local.IMAGE_RECIPE / "build.sh").read_text()


def test_the_local_template_declares_the_endpoint_and_a_longer_timeout_only(tmp_path):
    built = tmp_path / "template.yaml"
    built.write_text(sam_local.ROOT.joinpath("template.yaml").read_text())
    out = sam_local.write_local_template(built, tmp_path / "local.json", timeout=300)
    original = json.loads(json.dumps(yaml.load(built.read_text(), Loader=template._CfnLoader)))
    local = json.loads(out.read_text())
    variables = local["Globals"]["Function"]["Environment"]["Variables"]
    assert variables.pop(sam_local.ENDPOINT_VARIABLE) == variables.pop(sam_local.KMS_ENDPOINT_VARIABLE) == ""
    assert local["Globals"]["Function"].pop("Timeout") == 300
    del original["Globals"]["Function"]["Timeout"]
    for name, resource in local["Resources"].items():  # a function's own Timeout, if any, raised too
        if "Timeout" in resource.get("Properties", {}):
            assert resource["Properties"].pop("Timeout") == 300
            original["Resources"][name]["Properties"].pop("Timeout")
    assert local == original  # nothing else changed


def test_the_env_vars_give_every_function_the_local_table_endpoint_and_stub():
    env = sam_local.sam_environment("http://172.17.0.1:4800", "coupons-sam", "http://172.17.0.1:4100",
                                    "http://172.17.0.1:4900")
    assert env["Parameters"]["COUPONS_TABLE"] == "coupons-sam"
    assert env["Parameters"][sam_local.ENDPOINT_VARIABLE] == "http://172.17.0.1:4800"
    assert env["Parameters"][sam_local.KMS_ENDPOINT_VARIABLE] == "http://172.17.0.1:4900"  # the sender's KMS
    declared = {name for f in template.functions() for name in f.environment}
    # the ones the local template adds
    assert set(env["Parameters"]) - declared == {sam_local.ENDPOINT_VARIABLE, sam_local.KMS_ENDPOINT_VARIABLE}


def test_only_an_event_the_function_never_saw_is_sent_again():
    assert sam_local.not_delivered("Mounting ...\nNo response from invoke container for CheckoutFunction\n")
    assert not sam_local.not_delivered("No response from invoke container for CheckoutFunction\n"
                                       "Function 'CheckoutFunction' timed out after 300 seconds")
    assert not sam_local.not_delivered("START RequestId: x\nEND RequestId: x\n")


def test_the_status_column():
    assert sam_local.status_of({"statusCode": 409, "body": "{}"}) == "409"
    assert sam_local.status_of({"batchItemFailures": []}) == "0 failed"
    assert sam_local.status_of({"errorType": "KeyError", "errorMessage": "'Records'"}) == "error"
    assert sam_local.status_of({"sam": "no answer"}) == "error"


class _Side:
    """One side of a run, writing what happens to a list both sides share."""

    def __init__(self, calls):
        self.calls = calls


class _Sam(_Side):
    """SAM's side (WarmLambda)."""

    def warm_up(self, function):
        self.calls.append(("sam warm-up", function))
        return 0.0

    def invoke(self, case):
        self.calls.append(("sam", str(case)))
        return {"statusCode": 200}, ""


class _Direct(_Side):
    """The direct side (Direct)."""

    def invoke(self, case):
        self.calls.append(("direct", str(case)))
        return {"statusCode": 200}

    def invoke_event(self, function, event):
        self.calls.append(("direct warm-up", function, event))


def test_each_function_is_warmed_on_both_sides_just_before_its_first_event():
    """The warm-up is an invocation like any other: the scheduled rates refresh ignores its event and
    stores rates. Warmed up front on SAM's side alone, it gave SAM's table a EUR/USD rate that the direct
    side never had, and the checkout's foreign-currency samples answered differently (make sam-local, 83/88)."""
    cases = sam_local.cases()
    calls: list[tuple] = []
    sam, direct = _Sam(calls), _Direct(calls)
    rows = sam_local.compare(cases, sam.invoke, direct, lambda f: sam_local.warm_both(sam, direct, f))
    assert all(row.same for row in rows)
    for function in {c.function for c in cases}:
        first = next(str(c) for c in cases if c.function == function)
        warmed = [i for i, call in enumerate(calls) if call[0].endswith("warm-up") and call[1] == function]
        assert [calls[i][0] for i in warmed] == ["sam warm-up", "direct warm-up"]
        assert calls[warmed[1]][2] == sam_local.WARM_UP_EVENT
        assert calls[warmed[1] + 1] == ("sam", first)  # nothing of another function in between
    checkout = next(i for i, call in enumerate(calls) if call == ("sam", "checkout/redeem-currency-mismatch"))
    rates = calls.index(("direct warm-up", "RatesRefreshFunction", sam_local.WARM_UP_EVENT))
    assert checkout < rates  # the refresh's rates arrive after the checkout's samples, on both sides
