-- Test-only: shut Prosody down when the test runner that spawned it is gone (for example a
-- vitest worker killed with SIGKILL), so no server outlives the run that needed it.
module:set_global();

local parent = module:get_option_number("test_parent_pid");
if not parent then
	module:log("warn", "test_parent_pid not set; parent watch disabled");
	return;
end

-- Linux only: the parent pid is the first number after the command name in /proc/self/stat.
local function current_ppid()
	local f = io.open("/proc/self/stat", "r");
	if not f then return nil; end
	local stat = f:read("*a");
	f:close();
	return tonumber(stat:match("%)%s+%S+%s+(%d+)"));
end

if current_ppid() == nil then
	module:log("warn", "cannot read /proc/self/stat; parent watch disabled");
	return;
end

module:add_timer(0.5, function ()
	local ppid = current_ppid();
	if ppid ~= parent then
		module:log("info", "test runner %d is gone (parent now %s); shutting down", parent, tostring(ppid));
		-- Shutdown waits on connections, so it must run in the main async thread (as mod_posix does for SIGTERM).
		prosody.main_thread:run(function ()
			prosody.shutdown("test runner exited");
		end);
		return nil;
	end
	return 0.5;
end);
