"""deploy/helm/values.yaml, the values of Dagster's Helm chart for this project, checked without a cluster or Helm:

- against deploy/helm/dagster-chart-values.schema.json, a reduced schema of the chart's values that is closed
  (Helm ignores an unknown key silently, and the chart's own schema accepts any key at its top level, in a user
  deployment's parents and in `dagsterDaemon.runMonitoring`), with mutated copies showing that a misspelled or
  misplaced key fails;
- against the chart's own rules that a schema cannot say (the `concurrency` block is rendered only when enabled;
  the run limit may not be set in two places);
- against this project: the code location module, the environment given to the code server and the runs (read by
  `ProjectSettings.from_env` as a run would), and the same policy as deploy/dagster.yaml.
"""

import copy
import importlib.util
import json
import tomllib

import jsonschema
import pytest
import yaml

from liveperson_dagster.constants import POOL
from liveperson_dagster.config import ProjectSettings

from .helpers import PROJECT_ROOT

HELM_DIR = PROJECT_ROOT / "deploy" / "helm"
VALUES = yaml.safe_load((HELM_DIR / "values.yaml").read_text())
SCHEMA = json.loads((HELM_DIR / "dagster-chart-values.schema.json").read_text())
INSTANCE = yaml.safe_load((PROJECT_ROOT / "deploy" / "dagster.yaml").read_text())
VALIDATOR = jsonschema.Draft7Validator(SCHEMA)


def deployment(values: dict) -> dict:
    [liveperson] = values["dagster-user-deployments"]["deployments"]
    return liveperson


def schema_errors(values: dict) -> list[str]:
    """Each error where it happened: for a value that fits none of a key's alternatives (`anyOf`), the errors of
    each alternative rather than the one line saying so."""
    def leaves(error):
        if not error.context:
            yield error
        for sub in error.context:
            yield from leaves(sub)
    return [f"{'.'.join(map(str, error.absolute_path)) or '<top>'}: {error.message}"
            for top in VALIDATOR.iter_errors(values) for error in leaves(top)]


def test_the_schema_is_a_valid_draft_7_schema():
    jsonschema.Draft7Validator.check_schema(SCHEMA)


def test_values_match_the_chart_schema():
    assert schema_errors(VALUES) == []


def _rename(path: tuple, new_key: str):
    def mutate(values: dict) -> None:
        *parents, key = path
        node = values
        for part in parents:
            node = deployment(node) if part == "<liveperson>" else node[part]
        node[new_key] = node.pop(key)
    return mutate


def _move_pools_under_the_daemon(values: dict) -> None:
    values["dagsterDaemon"]["concurrency"] = values.pop("concurrency")


def _env_as_a_string(values: dict) -> None:
    deployment(values)["env"] = "LIVEPERSON_DESTINATION=postgres"


def _memory_in_a_unit_kubernetes_does_not_know(values: dict) -> None:
    deployment(values)["resources"]["limits"]["memory"] = "1GB"


@pytest.mark.parametrize("mutate, where", [
    (_rename(("concurrency",), "concurency"), "<top>"),
    (_rename(("<liveperson>", "envSecrets"), "envSecret"), "dagster-user-deployments.deployments.0"),
    (_rename(("<liveperson>", "dagsterApiGrpcArgs"), "dagsterApiGrpcArg"), "dagster-user-deployments.deployments.0"),
    (_rename(("dagsterDaemon", "runMonitoring", "startTimeoutSeconds"), "startTimeoutSecond"),
     "dagsterDaemon.runMonitoring"),
    (_rename(("concurrency", "pools", "defaultLimit"), "default_limit"), "concurrency.pools"),
    (_rename(("postgresql", "postgresqlHost"), "host"), "postgresql"),
    (_move_pools_under_the_daemon, "dagsterDaemon"),
    (_env_as_a_string, "dagster-user-deployments.deployments.0.env"),
    (_memory_in_a_unit_kubernetes_does_not_know, "dagster-user-deployments.deployments.0.resources.limits.memory"),
], ids=["top-level", "deployment-envSecrets", "deployment-grpc-args", "run-monitoring", "pools",
        "postgresql", "misplaced-concurrency", "env-type", "memory-quantity"])
def test_a_misspelled_or_misplaced_key_fails(mutate, where):
    values = copy.deepcopy(VALUES)
    mutate(values)
    errors = schema_errors(values)
    assert errors, "the mutated values passed"
    assert any(error.startswith(f"{where}:") for error in errors), errors


def test_chart_rules_beyond_the_schema():
    # The chart renders `concurrency` into dagster.yaml only when it is enabled (its _concurrency.tpl and tests);
    # without it the pool limit is silently left out.
    assert VALUES["concurrency"]["enabled"] is True
    # The chart fails when the run limit is set both here and on the queued run coordinator.
    queued = VALUES["dagsterDaemon"]["runCoordinator"]["config"]["queuedRunCoordinator"]
    assert "maxConcurrentRuns" not in queued and "tagConcurrencyLimits" not in queued
    # An external PostgreSQL: no chart-managed database, the password from a secret that the chart does not write.
    assert VALUES["postgresql"]["enabled"] is False and VALUES["generatePostgresqlPasswordSecret"] is False
    assert "postgresqlPassword" not in VALUES["postgresql"]
    assert VALUES["runLauncher"]["type"] == "K8sRunLauncher"


def test_the_code_server_serves_this_project_and_runs_get_its_settings():
    location = deployment(VALUES)
    module = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]["dagster"]["module_name"]
    assert location["dagsterApiGrpcArgs"] == ["-m", module]
    assert importlib.util.find_spec(module) is not None
    assert location["includeConfigInLaunchedRuns"]["enabled"] is True  # runs get env, secrets and resources
    assert [secret["name"] for secret in location["envSecrets"]] == ["liveperson-credentials", "liveperson-warehouse"]

    env = {variable["name"]: variable["value"] for variable in location["env"]}
    settings = ProjectSettings.from_env(env)  # what a run pod reads (secrets aside); raises on a bad value
    assert settings.destination == "postgres"
    # Memory is sized for this many normalize workers; the CPU limit matches it.
    workers = int(env["NORMALIZE__WORKERS"])
    assert workers == int(location["resources"]["limits"]["cpu"])
    # docs/production.md: about 200 MB while fetching, about 190 MB per normalize worker.
    need_mib = 200 + 190 * workers
    assert _mebibytes(location["resources"]["requests"]["memory"]) >= need_mib
    assert _mebibytes(location["resources"]["limits"]["memory"]) >= 1.5 * need_mib


def _mebibytes(quantity: str) -> float:
    units = {"Mi": 1, "Gi": 1024}
    return float(quantity[:-2]) * units[quantity[-2:]]


def test_same_policy_as_the_one_machine_instance():
    """The chart renders these into the instance's dagster.yaml; they say what deploy/dagster.yaml says."""
    pools = VALUES["concurrency"]["pools"]
    assert {"default_limit": pools["defaultLimit"], "granularity": pools["granularity"]} == \
        INSTANCE["concurrency"]["pools"]
    assert VALUES["concurrency"]["runs"]["maxConcurrentRuns"] == INSTANCE["concurrency"]["runs"]["max_concurrent_runs"]
    assert POOL == "liveperson"

    monitoring = VALUES["dagsterDaemon"]["runMonitoring"]
    instance_monitoring = INSTANCE["run_monitoring"]
    for key, instance_key in [("enabled", "enabled"), ("startTimeoutSeconds", "start_timeout_seconds"),
                              ("cancelTimeoutSeconds", "cancel_timeout_seconds"),
                              ("maxRuntimeSeconds", "max_runtime_seconds"),
                              ("pollIntervalSeconds", "poll_interval_seconds"),
                              ("freeSlotsAfterRunEndSeconds", "free_slots_after_run_end_seconds")]:
        assert monitoring[key] == instance_monitoring[instance_key], key
    # Resuming a run in a new pod needs the k8s_job_executor; this project's runs are one in-process pod.
    assert monitoring["maxResumeRunAttempts"] == 0

    retries = VALUES["dagsterDaemon"]["runRetries"]
    assert (retries["enabled"], retries["maxRetries"], retries["retryOnAssetOrOpFailure"]) == (
        INSTANCE["run_retries"]["enabled"], INSTANCE["run_retries"]["max_retries"],
        INSTANCE["run_retries"]["retry_on_asset_or_op_failure"])
    assert VALUES["postgresql"]["postgresqlScheme"] == INSTANCE["storage"]["postgres"]["postgres_db"]["scheme"]
    assert VALUES["telemetry"]["enabled"] == INSTANCE["telemetry"]["enabled"]
    assert VALUES["retention"]["schedule"]["purgeAfterDays"] == INSTANCE["retention"]["schedule"]["purge_after_days"]
    assert VALUES["retention"]["sensor"]["purgeAfterDays"] == INSTANCE["retention"]["sensor"]["purge_after_days"]
