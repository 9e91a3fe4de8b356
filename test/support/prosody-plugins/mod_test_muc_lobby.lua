-- Test-only stand-in for Jitsi's lobby (load it on the MUC component).
--
-- Stock Prosody refuses an unaffiliated joiner of a members-only room with a bare
-- registration-required. A Jitsi deployment adds the lobby room to that error, inside <error>
-- as <lobbyroom xmlns="http://jitsi.org/jitmeet">, and lets in whoever knows the room password.
-- This plugin does the same. The lobby of room@host is room-lobby@host on the same component;
-- whoever moderates it (the fake focus) creates it by joining it first.
local st = require "util.stanza";
local jid = require "util.jid";

local NS_MUC = "http://jabber.org/protocol/muc";
local NS_JITMEET = "http://jitsi.org/jitmeet";

local function lobby_jid(room)
	local node, host = jid.split(room.jid);
	return node .. "-lobby@" .. host;
end

-- Runs just before the members-only check (priority -5), like Jitsi's lobby module.
module:hook("muc-occupant-pre-join", function(event)
	local room, stanza = event.room, event.stanza;
	if not room:get_members_only() then return; end
	local affiliation = room:get_affiliation(stanza.attr.from);
	if affiliation and affiliation ~= "none" then return; end

	local password = room:get_password();
	if password and password ~= "" then
		local x = stanza:get_child("x", NS_MUC);
		if x and x:get_child_text("password", NS_MUC) == password then
			room:set_affiliation(true, jid.bare(stanza.attr.from), "member", "knew the password");
			-- The role was decided (none) before this hook ran, while the joiner had no affiliation.
			event.occupant.role = "participant";
			return; -- the members-only check now lets the join through
		end
	end

	local reply = st.error_reply(stanza, "auth", "registration-required", nil, room.jid);
	reply:tag("lobbyroom", { xmlns = NS_JITMEET }):text(lobby_jid(room)):up();
	event.origin.send(reply);
	return true;
end, -4);
