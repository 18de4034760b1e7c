from timeline import create_app

app = create_app()
