"""Policy Q&A bot for villagers: understand a question, answer it from the knowledge base."""

__version__ = "0.1.0"
