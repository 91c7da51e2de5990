build-stress/obj/src/formats/profile.o: src/formats/profile.c \
 include/macext/plist_util.h include/macext/err.h \
 include/macext/profile.h include/macext/core.h
include/macext/plist_util.h:
include/macext/err.h:
include/macext/profile.h:
include/macext/core.h:
