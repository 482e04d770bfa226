"""Names the dead-code check (``vulture``, in ``make check`` and ``make test``) cannot see used.

Each is called by a framework or looked up by name, never by our code directly. Vulture reads this file as
code that uses these names; it is never imported or run.
"""

# Streamlit: keys of st.session_state written as attributes and read back by key ("mn_eval" …)
session_state.bp_config, session_state.bp_every
session_state.mn_refused, session_state.mn_model, session_state.mn_model_from
session_state.mn_eval, session_state.mn_section

# Keras calls a callback's hooks, reads stop_training, and passes line_break to summary()'s print_fn
callback.on_train_begin, callback.on_epoch_begin, callback.on_train_batch_end, callback.on_epoch_end
callback.stop_training
line_break

# The training process runs these by their dotted name ("nnviz.mnist.keras_model:train_in_worker")
train_in_worker, twin_in_worker

# SQLAlchemy's event hooks (@event.listens_for) and the connection attribute they set
_connect, _begin
connection.isolation_level

# The admission calls a queued run's admitted() and a live run's evicted() from its own thread
run.admitted, run.evicted

# A scratch array an optimizer keeps between steps, read back through __dict__
optimizer._tmp

# Streamlit's protocol messages in bench/st_client.py: fields set for the server to read
message.query_string, message.page_name, message.is_auto_rerun, message.runs_finished

# Streamlit's stats manager asks a provider for stats_families and calls get_stats(family_names); ui/server.py
# swaps the upload manager's class in place
provider.stats_families, provider.get_stats, family_names
manager.__class__

# pytest calls its hooks and fixtures by name
pytest_collection_modifyitems, pytest_runtest_makereport, pytest_runtest_logreport
pytest_sessionfinish, pytest_terminal_summary, empty_admission

# copy.deepcopy passes memo; a signal handler gets signum; the jobs' tests submit echo and hold by name
memo, signum, echo, hold
