"""The agent's desktop: his state, his calls with their customers (screen-pop), the
dispositions, and the push of all of it to his browser (see ``AgentDesk``)."""
