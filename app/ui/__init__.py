"""The Streamlit web UI (`docqa ui`): a client of the engine; pages render what the services return."""
