-- Test-only: a per-room occupant limit (load it on the MUC component).
--
-- Prosody 0.12 has no occupant limit of its own (Jitsi deployments add one). This plugin adds
-- XEP-0045's muc#roomconfig_maxusers to the room configuration form; a join that would pass the
-- limit is refused with service-unavailable, which XEP-0045 prescribes for a full room.
local st = require "util.stanza";

local FIELD = "muc#roomconfig_maxusers";

local function get_max(room)
	return room._data.test_max_occupants;
end

module:hook("muc-config-form", function(event)
	local max = get_max(event.room);
	table.insert(event.form, {
		name = FIELD;
		type = "text-single";
		label = "Maximum number of occupants (empty: no limit)";
		value = max and tostring(max) or "";
	});
end);

module:hook("muc-config-submitted/" .. FIELD, function(event)
	local max = tonumber(event.value);
	if max ~= nil and max < 1 then max = nil; end
	if event.room._data.test_max_occupants ~= max then
		event.room._data.test_max_occupants = max;
		event.status_codes["104"] = true;
	end
end);

module:hook("muc-occupant-pre-join", function(event)
	local room = event.room;
	local max = get_max(room);
	if not max then return; end
	local count = 0;
	for _ in room:each_occupant() do count = count + 1; end
	if count >= max then
		module:log("debug", "%s is full (%d of %d)", room.jid, count, max);
		event.origin.send(st.error_reply(event.stanza, "cancel", "service-unavailable", "room is full", room.jid));
		return true;
	end
end, 0);
