// A valid shared object that is not a plugin: no dmtcp_event_hook, no DMTCP_DECL_PLUGIN
// descriptor. dmtcp_launch --with-plugin must refuse it.
int no_hook_plugin_answer(void);
int no_hook_plugin_answer(void) { return 42; }
