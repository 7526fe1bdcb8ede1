"""What every window shares: the job runner, refusals, formatting and colours."""
