"""import-linter contract types of our own (registered in pyproject.toml, run by `lint-imports`).

`app_surface`: an app uses another app only through that app's public surface.

    messaging.rendering.context ──▶ orders.selectors         allowed: public module
    messaging.services          ──▶ tenants.context          allowed: shared plumbing
    messaging.api.views         ──▶ orders.api.serializers   broken, unless listed as debt

The built-in contract types cannot say this: `forbidden` and `protected` need the private
modules listed one by one, so a module added tomorrow would be unguarded; here everything that
is not public is private. Only direct imports count: a service may use its own app's internals.
Imports of packages outside `apps` (config: layer 0, the plumbing of every app) are left to the
layers contract.

`ignore_imports` lists known debt. An entry that no longer matches an import breaks the
contract too, so the list can only shrink: delete the line once the import is gone.
"""

from __future__ import annotations

from typing import cast

import grimp
from importlinter import Contract, ContractCheck, fields, output


class AppSurfaceContract(Contract):
    """
    Options:
        - apps:           the app packages, each one's surface checked against the others.
        - public_modules: names relative to an app (`services`, `models`): the modules, and
                          everything inside them, that the other apps may import.
        - shared_modules: module expressions (`tenants.context`, `tenants.views.*`) that every
                          app may import: the shared plumbing.
        - exempt_importers: module expressions whose imports are not checked (`*.tests`, as
                          packages): tests may set data up through another app's internals.
        - ignore_imports: import expressions (`messaging.** -> orders.api.views`): known debt.
    """

    type_name = "app_surface"

    apps = fields.ListField(subfield=fields.StringField())
    public_modules = fields.ListField(subfield=fields.StringField())
    shared_modules = fields.ListField(subfield=fields.ModuleExpressionField(), required=False)
    exempt_importers = fields.ListField(subfield=fields.ModuleExpressionField(), required=False)
    ignore_imports = fields.ListField(subfield=fields.ImportExpressionField(), required=False)

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        # The fields are parsed into lists on the instance (import-linter's Contract does it).
        apps = cast(list[str], self.apps)
        public_modules = cast(list[str], self.public_modules)
        shared_modules = cast(list[object], self.shared_modules or [])
        exempt_importers = cast(list[object], self.exempt_importers or [])
        ignore_imports = cast(list[object], self.ignore_imports or [])

        stale: list[str] = []
        warnings: list[str] = []
        ignored = 0
        for expression in ignore_imports:
            matches = graph.find_matching_direct_imports(str(expression))
            if not matches:
                stale.append(str(expression))
            ignored += len(matches)
            for match in matches:
                graph.remove_import(importer=match["importer"], imported=match["imported"])

        allowed: set[str] = set()
        for app in apps:
            for name in public_modules:
                module = f"{app}.{name}"
                if module in graph.modules:
                    allowed |= {module, *graph.find_descendants(module)}
        for expression in shared_modules:
            matched = graph.find_matching_modules(str(expression))
            if not matched:
                # Harmless to the check (it allows nothing), but a name to tidy away.
                warnings.append(f"shared_modules: {expression} matches no module.")
            for module in matched:
                allowed |= {module, *graph.find_descendants(module)}

        exempt: set[str] = set()
        for expression in exempt_importers:
            for module in graph.find_matching_modules(str(expression)):
                exempt |= {module, *graph.find_descendants(module)}

        illegal = []
        for app in apps:
            importers = {app, *graph.find_descendants(app)} - exempt
            for importer in sorted(importers):
                for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                    owner = imported.split(".")[0]
                    if owner == app or owner not in apps or imported in allowed:
                        continue
                    details = graph.get_import_details(importer=importer, imported=imported)
                    lines = sorted({detail["line_number"] for detail in details})
                    illegal.append({"importer": importer, "imported": imported, "lines": lines})
        return ContractCheck(
            kept=not illegal and not stale,
            warnings=warnings,
            ignored_import_count=ignored,
            metadata={"illegal": illegal, "stale": stale},
        )

    def render_broken_contract(self, check: ContractCheck) -> None:
        illegal = check.metadata["illegal"]
        if illegal:
            public = ", ".join(cast(list[str], self.public_modules))
            output.print_error(
                f"Another app's modules may be imported only through its public surface ({public}) "
                "or the shared plumbing listed in shared_modules:",
                bold=False,
            )
            output.new_line()
            for link in illegal:
                lines = ", ".join(f"l.{line}" for line in link["lines"])
                output.print_error(f"- {link['importer']} -> {link['imported']} ({lines})", bold=False)
            output.new_line()
        for entry in check.metadata["stale"]:
            output.print_error(
                f"No longer matches any import (delete it from the contract): {entry}", bold=False
            )
