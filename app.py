from surveyapp import create_app

app = create_app()
