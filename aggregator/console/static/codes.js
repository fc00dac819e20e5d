// Codes the gates write (gate/policy/reasons.py, gate/door/state_machine.py): the filter choices.

export const EVENT_TYPES = [
  "access_decision", "door_forced", "door_held_open", "door_held_open_cleared", "door_opened",
  "door_closed", "door_released", "door_secured", "exit_request", "fire_release", "fire_reset",
  "hold_open_on", "hold_open_off", "door_command_failed", "gate_started",
];

export const REASONS = [
  "granted_resident", "granted_visitor", "granted_exit_button", "granted_vehicle_exit",
  "denied_unknown_face", "denied_unknown_credential", "denied_ambiguous", "denied_quality",
  "denied_liveness_failed", "denied_blacklisted", "denied_second_factor_required",
  "denied_face_required",
  "denied_disabled", "denied_not_yet_valid", "denied_expired", "denied_visitor_window",
  "denied_visitor_entries_used", "denied_outside_schedule", "denied_unknown_vehicle",
  "denied_plate_near_miss",
];

export const ALARM_KINDS = [
  "door_forced", "door_held_open", "blacklist_hit", "chain_broken", "gate_offline", "sequence_gap",
  "plate_clone_suspected",
];

/** The person's display name of an event row (masked by the server for guards). */
export function personOf(row) {
  return row.person_name ?? row.person ?? row.display_name ?? row.subject ?? "";
}
