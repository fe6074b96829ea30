"""Shared pytest wiring: each support module registers its fixtures as a plugin."""

pytest_plugins: list[str] = []
pytest_plugins.append("tests.support.kube")
pytest_plugins.append("tests.support.git_http")
pytest_plugins.append("tests.support.emulator")
pytest_plugins.append("tests.support.health_eval")
pytest_plugins.append("tests.support.go_tools")
pytest_plugins.append("tests.support.kubeconform")
pytest_plugins.append("tests.support.prometheus")
pytest_plugins.append("tests.support.health_server")
pytest_plugins.append("tests.support.orgs")
