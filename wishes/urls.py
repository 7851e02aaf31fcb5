"""Public endpoints of micro-wishes, outside the admin: the volunteer sign-up."""

from django.urls import path

from wishes.signup import volunteer_sign_up, volunteer_sign_up_done

app_name = "wishes"
urlpatterns = [
    path("sign-up/", volunteer_sign_up, name="sign_up"),
    path("sign-up/done/", volunteer_sign_up_done, name="sign_up_done"),
]
