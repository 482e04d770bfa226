"""The server's side: training workers, runs and their admission, the page gate, the heavy-job queue, uploads, who asks and what a client may cost."""
