"""PMO Playbook: SOPs, projects, chat and feedback on PostgreSQL; MongoDB migration toolkit."""

__version__ = "0.1.0"
