-- The built-in phases, as module names, in the order they are collected (ties in `after`
-- ordering keep this order). One line per phase, so additions do not conflict.
return {
  "ssot.phases.sql",
}
