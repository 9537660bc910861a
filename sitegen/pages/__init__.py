"""One module per page type: what its pages show (their contexts) and how they are planned
(plan(planner, plan)), with the rule for which changes touch them in its docstring. The plan's
list of page types is planner.PAGE_TYPES; the recipe for a new one is in docs/architecture.md."""
