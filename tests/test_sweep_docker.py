"""The cluster recipes in docker/ are valid: compose parses, Kubernetes manifests pass a strict
schema check, shell scripts pass shellcheck, and every command line they build is one that
tools/sweep.py accepts."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
DOCKER = REPO / "docker"
SCRIPTS = sorted((DOCKER / "slurm").glob("*.sh")) + sorted((DOCKER / "slurm").glob("*.sbatch"))
MANIFESTS = sorted((DOCKER / "k8s").glob("*.yaml"))
WORKER_JOB = DOCKER / "k8s" / "sweep-job.yaml"


def sweep_cli():
    spec = importlib.util.spec_from_file_location("sweep_cli", REPO / "tools" / "sweep.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def compose_command() -> list[str]:
    """``docker compose`` (v2 plugin) when present, else the standalone ``docker-compose``."""
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True)
        if probe.returncode == 0:
            return ["docker", "compose"]
    exe = shutil.which("docker-compose")
    assert exe, (
        "neither `docker compose` nor `docker-compose` is installed (apt-get install docker-compose)"
    )
    return [exe]


SECRETS = {"POSTGRES_PASSWORD": "pw-x7", "MINIO_ROOT_USER": "mu", "MINIO_ROOT_PASSWORD": "mpw-x7"}
URLS = {"GEOARENA_SWEEP_STORAGE": "postgresql://u@h/db", "MLFLOW_TRACKING_URI": "http://m:5000"}


def _compose_config(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*compose_command(), "-f", str(DOCKER / "compose.yaml"), "--profile", "sweep", "config"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_compose_has_no_default_passwords_and_publishes_on_localhost():
    env = {k: v for k, v in os.environ.items() if k not in SECRETS}
    refused = _compose_config(env)
    assert refused.returncode != 0 and "POSTGRES_PASSWORD" in refused.stderr
    out = _compose_config(dict(env, **SECRETS))
    assert out.returncode == 0, out.stderr
    services = yaml.safe_load(out.stdout)["services"]
    for name, svc in services.items():
        for port in svc.get("ports", []):  # compose v2 gives mappings, v1 strings
            host_ip = port.get("host_ip") if isinstance(port, dict) else port.split(":")[0]
            assert host_ip == "127.0.0.1", (name, port)
        # no password on any command line (it would show in `ps`)
        cmd = " ".join(svc.get("command") or []) + " ".join(svc.get("entrypoint") or [])
        assert "pw-x7" not in cmd, name
    assert (
        "geoarena:pw-x7@postgres:5432/mlflow"
        in (services["mlflow"]["environment"]["MLFLOW_BACKEND_STORE_URI"])
    )


def test_compose_config_parses_and_wires_the_sweep_stack():
    env = dict(os.environ, WORKERS="3", STUDY="s1", **SECRETS)
    out = subprocess.run(
        [
            *compose_command(),
            "-f",
            str(DOCKER / "compose.yaml"),
            "--profile",
            "sweep",
            "--profile",
            "gpu",
            "--profile",
            "final",
            "config",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    cfg = yaml.safe_load(out.stdout)
    services = cfg["services"]
    assert {
        "postgres",
        "minio",
        "create-bucket",
        "mlflow",
        "dashboard",
        "init",
        "worker",
        "worker-cuda",
        "final",
    } <= set(services)
    mlflow_cmd = " ".join(services["mlflow"]["command"])
    assert "--artifacts-destination=s3://mlflow/" in mlflow_cmd
    assert services["mlflow"]["environment"]["MLFLOW_S3_ENDPOINT_URL"] == "http://minio:9000"
    assert services["worker"]["environment"]["STUDY"] == "s1"
    assert services["worker"]["depends_on"]["init"]["condition"] == "service_completed_successfully"
    for name in ("init", "worker", "worker-cuda", "final", "mlflow"):
        build = services[name].get("build")
        if build:
            assert (Path(build["context"]) / build["dockerfile"]).is_file()


def test_compose_worker_commands_are_valid_sweep_command_lines(monkeypatch):
    for k, v in URLS.items():  # the workers read the URLs from their environment
        monkeypatch.setenv(k, v)
    cli = sweep_cli()
    cfg = yaml.safe_load((DOCKER / "compose.yaml").read_text())
    env = {
        "EXPERIMENT": "experiments/eo_tiny_finetune.py",
        "STUDY": "s",
        "GEOARENA_SWEEP_STORAGE": "postgresql://u@h/db",
        "N_TRIALS": "8",
        "MLFLOW_TRACKING_URI": "http://m:5000",
    }
    for name in ("init", "worker", "worker-cuda", "final"):
        (command,) = cfg["services"][name]["command"]
        words = subprocess.run(
            [
                "sh",
                "-c",
                "printf '%s\\n' "
                + command.replace("$$", "$").removeprefix("python tools/sweep.py "),
            ],
            capture_output=True,
            text=True,
            env=env,
        ).stdout.splitlines()
        assert not [w for w in words if "://" in w], words  # no URL on the command line
        args = cli.parse_args(words)
        assert (
            args.study == "s"
            and args.storage == "postgresql://u@h/db"
            and args.tracking_uri == "http://m:5000"
        )


def test_dockerfiles_copy_only_paths_that_exist():
    for dockerfile in DOCKER.glob("*.Dockerfile"):
        text = dockerfile.read_text()
        assert re.search(r"^FROM python:3\.11", text, re.M), dockerfile
        for line in re.findall(r"^COPY (.+)$", text, re.M):
            *sources, _dest = line.split()
            for src in sources:
                assert (REPO / src).exists(), f"{dockerfile.name}: COPY {src} does not exist"


def test_kubernetes_manifests_pass_a_strict_schema_check(tmp_path):
    exe = Path(sys.executable).with_name("kubernetes-validate")
    ok = subprocess.run(
        [str(exe), "-k", "1.31.0", "--strict", *map(str, MANIFESTS)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    resources = sum(len([d for d in yaml.safe_load_all(m.read_text()) if d]) for m in MANIFESTS)
    assert ok.stdout.count("passed") == resources  # one line per resource (a Job + Service file)
    # the check is real: a typo in a field is rejected
    broken = tmp_path / "broken.yaml"
    broken.write_text(WORKER_JOB.read_text().replace("parallelism: 4", "paralelism: 4"))
    bad = subprocess.run(
        [str(exe), "-k", "1.31.0", "--strict", str(broken)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode != 0 and "paralelism" in bad.stdout + bad.stderr


def test_kubernetes_worker_args_are_valid_sweep_command_lines(monkeypatch):
    for k, v in URLS.items():  # from the pod's secret-backed environment
        monkeypatch.setenv(k, v)
    cli = sweep_cli()
    values = {
        "EXPERIMENT": "experiments/eo_tiny_finetune.py",
        "STUDY": "s",
        "GEOARENA_SWEEP_STORAGE": "postgresql://u@h/db",
        "N_TRIALS": "8",
        "MLFLOW_TRACKING_URI": "http://m:5000",
        "JOB_COMPLETION_INDEX": "3",
    }
    job = next(d for d in yaml.safe_load_all(WORKER_JOB.read_text()) if d)
    assert (
        job["spec"]["completionMode"] == "Indexed"
        and job["spec"]["parallelism"] == job["spec"]["completions"]
    )
    pod = job["spec"]["template"]["spec"]
    for container in pod["initContainers"] + pod["containers"]:
        args = [re.sub(r"\$\((\w+)\)", lambda m: values[m.group(1)], a) for a in container["args"]]
        assert not [a for a in args if "://" in a], args
        parsed = cli.parse_args(args)
        assert parsed.study == "s" and parsed.storage == "postgresql://u@h/db"
    worker = cli.parse_args(
        [
            re.sub(r"\$\((\w+)\)", lambda m: values[m.group(1)], a)
            for a in pod["containers"][0]["args"]
        ]
    )
    assert worker.worker_only and worker.worker_index == 3


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_scripts_pass_shellcheck(script):
    exe = shutil.which("shellcheck")
    assert exe, "shellcheck is not installed (apt-get install shellcheck)"
    out = subprocess.run([exe, "--severity=style", str(script)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout


def test_slurm_array_script_builds_a_valid_worker_command(tmp_path, monkeypatch):
    for k, v in URLS.items():  # exported to the array task
        monkeypatch.setenv(k, v)
    cli = sweep_cli()
    env = dict(
        os.environ,
        GEOARENA_SWEEP_STORAGE="postgresql://u@h/db",
        MLFLOW_TRACKING_URI="http://m:5000",
        SLURM_ARRAY_TASK_ID="5",
        GEOARENA_PYTHON="echo",
    )
    out = subprocess.run(
        ["bash", str(DOCKER / "slurm" / "sweep_array.sbatch")],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    words = out.stdout.split()
    assert words[0] == "tools/sweep.py" and not [w for w in words if "://" in w]
    args = cli.parse_args(words[1:])
    assert (
        args.worker_only
        and args.worker_index == 5
        and args.storage == "postgresql://u@h/db"
        and args.grace == 120
    )
    missing = subprocess.run(
        ["bash", str(DOCKER / "slurm" / "sweep_array.sbatch")],
        capture_output=True,
        text=True,
        env={"PATH": os.environ["PATH"]},
    )
    assert missing.returncode != 0 and "GEOARENA_SWEEP_STORAGE" in missing.stderr
