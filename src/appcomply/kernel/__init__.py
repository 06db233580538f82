"""Framework-free building blocks shared by every module: errors, clock, ids, actor, context."""
