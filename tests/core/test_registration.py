"""Each domain declares itself in ``comptoir/<name>/domain.py``; the registry lists the names in order;
command-line groups and demo data load only when used."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer
import typer.main

from comptoir.core.registry import Domain
from comptoir.domains import NAMES, all_domains, declaration
from tests.support.processes import comptoir_env

EXPECTED_ORDER = (
    "stores",
    "catalog",
    "customers",
    "pricing",
    "loyalty",
    "inventory",
    "carts",
    "orders",
    "payments",
    "returns",
    "receipts",
    "appointments",
    "engagement",
    "live",
)
APPS = ("storefront", "seller", "backoffice")


def _modules_after(code: str) -> list[str]:
    """The ``comptoir`` modules a fresh interpreter holds after running ``code``."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(m for m in sys.modules if m.startswith('comptoir'))))"
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True)
    return list(json.loads(out.stdout.strip().splitlines()[-1]))


def test_the_registry_lists_every_domain_in_dependency_order() -> None:
    # given the registry / when its declarations load / then each names itself, in this order
    assert NAMES == EXPECTED_ORDER + APPS
    assert [d.name for d in all_domains()] == list(EXPECTED_ORDER + APPS)
    assert all(isinstance(d, Domain) for d in all_domains())
    assert [d.package for d in all_domains()][:2] == ["comptoir.stores", "comptoir.catalog"]


def test_an_unknown_domain_is_refused() -> None:
    with pytest.raises(KeyError, match="'ledger'"):
        declaration("ledger")


@pytest.mark.parametrize("name", EXPECTED_ORDER)
def test_a_domains_cli_adds_its_group_and_exactly_its_declared_imports(name: str) -> None:
    # given a domain's declaration
    domain = declaration(name)
    group, imports = typer.Typer(), typer.Typer()
    group.add_typer(imports, name="import")
    # when its command-line module registers
    domain.register_cli(group, imports)
    # then it adds `comptoir <name>` and the `comptoir import …` commands it declares, nothing else
    commands = typer.main.get_group(group).commands
    assert sorted(commands) == sorted([name, "import"])
    import_group = commands["import"]
    assert isinstance(import_group, typer.core.TyperGroup)
    assert sorted(import_group.commands) == sorted(domain.import_commands)


@pytest.mark.parametrize("name", EXPECTED_ORDER)
def test_a_domains_demo_module_holds_load_demo(name: str) -> None:
    domain = declaration(name)
    assert domain.demo == f"comptoir.{name}.demo"
    assert callable(importlib.import_module(domain.demo).load_demo)


def test_serving_imports_no_command_line_or_demo_module() -> None:
    # given a fresh process / when it builds the bus, the jobs and the routers as the API and worker do
    loaded = _modules_after(
        "from comptoir.core.settings import Settings\n"
        "from comptoir.domains import all_domains, build_bus, build_jobs, customer_sections, page_links\n"
        "s = Settings(database_url='sqlite://')\n"
        "build_bus(s); build_jobs(s); customer_sections(); page_links()\n"
        "[r for d in all_domains() for r in d.load_routers()]"
    )
    # then every domain's declaration is loaded, and none of their cli or demo modules
    assert {f"comptoir.{name}.domain" for name in EXPECTED_ORDER} <= set(loaded)
    assert [m for m in loaded if m.endswith((".cli", ".demo", ".demo_data"))] == []


def test_a_domain_command_imports_only_that_domains_command_line_module() -> None:
    # given a fresh process / when `comptoir stores --help` runs
    loaded = _modules_after(
        "from typer.testing import CliRunner\n"
        "from comptoir.cli import app\n"
        "result = CliRunner().invoke(app, ['stores', '--help'])\n"
        "assert result.exit_code == 0, result.output\n"
        "assert 'special-day' in result.output"
    )
    # then only the stores' command-line module is imported, and no demo module
    assert [m for m in loaded if m.endswith((".cli", ".demo"))] == ["comptoir.cli", "comptoir.stores.cli"]


def test_an_import_command_loads_the_domain_that_declares_it() -> None:
    # given a fresh process / when `comptoir import stock --help` runs
    loaded = _modules_after(
        "from typer.testing import CliRunner\n"
        "from comptoir.cli import app\n"
        "result = CliRunner().invoke(app, ['import', 'stock', '--help'])\n"
        "assert result.exit_code == 0, result.output\n"
        "assert 'Set stock levels' in result.output"
    )
    # then inventory's command-line module is the only domain one imported
    assert [m for m in loaded if m.endswith(".cli")] == ["comptoir.cli", "comptoir.inventory.cli"]


def test_the_help_lists_every_domains_group_and_import() -> None:
    from typer.testing import CliRunner

    from comptoir.cli import app

    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for name in EXPECTED_ORDER:
        assert f" {name} " in result.output
    imports = CliRunner().invoke(app, ["import", "--help"])
    for name in ("stores", "catalog", "customers", "prices", "stock", "count"):
        assert f" {name} " in imports.output


DEMO_WITHOUT_FAKER = """
import sys
sys.modules["faker"] = None  # as if the demo extra were not installed
from comptoir.core.migrate import upgrade
from comptoir.core.settings import get_settings
upgrade(get_settings().database_url)
from typer.testing import CliRunner
from comptoir.cli import app
result = CliRunner().invoke(app, ["demo"])
print(result.exit_code)
print(result.output)
"""


@pytest.mark.slow
def test_the_demo_without_its_extra_says_which_extra_to_install(tmp_path: Path) -> None:
    # given an installation without faker / when `comptoir demo` runs
    env = comptoir_env(f"sqlite:///{tmp_path}/demo.db")
    out = subprocess.run(
        [sys.executable, "-c", DEMO_WITHOUT_FAKER], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    # then it stops with exit code 2 and names the extra, rather than a traceback
    assert out.returncode == 0, out.stderr
    code, *message = out.stdout.strip().splitlines()
    assert code == "2"
    assert message[-1] == "The demo data needs the demo extra: pip install 'comptoir[demo]'."
