-- The built-in phases, as module names, in the order they are collected (ties in `after`
-- ordering keep this order). One line per phase, so additions do not conflict.
return {
  "ssot.phases.sql",
  "ssot.phases.postgres",
  "ssot.phases.sdk_runtime",
  "ssot.phases.sdk_models",
  "ssot.phases.sdk_index",
  "ssot.phases.react",
  "ssot.phases.openapi",
  "ssot.phases.asyncapi",
}
